// What the adversarial review tried and could not break (issue 10, "held
// up"): one test each, so that it stays that way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteTokenSetError } from "../mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { TokenSetGuard } from "../src/client/_guard.ts";
import { timingSafeEqual } from "../src/_compare.ts";
import { ADMIN_KEY, CookieJar, SERVICE_KEY, startGateway } from "./_gateway_fixture.ts";
import {
  fakeClient,
  rejectsWith,
  sessionClaims,
  signClaims,
  unsecuredJwt,
} from "./_client_helpers.ts";
import { serve } from "./_serve.ts";

const ORIGIN = "http://gw.test";

test("held: /rpc and /admin refuse every malformed or near-miss credential", async () => {
  const fx = await startGateway();
  try {
    const guarded: Array<[string, string]> = [
      ["/rpc/roles/query", SERVICE_KEY],
      ["/admin/roles", ADMIN_KEY],
    ];
    for (const [path, key] of guarded) {
      const method = path.startsWith("/rpc") ? "POST" : "GET";
      const variants: string[] = [
        "",
        "Bearer",
        "Bearer ",
        `Basic ${key}`,
        `Token ${key}`,
        `Bearer ${key.slice(0, -1)}`,
        `Bearer ${key}x`,
        `Bearer ${key.toUpperCase()}`,
        `Bearer ${key} ${key}`,
        `Bearer ${key},Bearer ${key}`,
        `Bearer\u00a0${key}`,
        `Bearer ${"x".repeat(10_000)}`,
        `Bearer ${encodeURIComponent(`${key}é`)}`,
        key,
        ...(path.startsWith("/rpc") ? [`Bearer ${ADMIN_KEY}`] : [`Bearer ${SERVICE_KEY}`]),
      ];
      for (const auth of variants) {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (auth !== "") headers["authorization"] = auth;
        const res = await fx.app.request(`${ORIGIN}${path}`, {
          method,
          headers,
          ...(method === "POST" ? { body: "{}" } : {}),
        });
        assert.equal(res.status, 401, `${path} ${JSON.stringify(auth.slice(0, 40))}`);
        assert.ok(!(await res.text()).includes(key));
      }
      const good = await fx.app.request(`${ORIGIN}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
      assert.equal(good.status, 200, path);
    }
  } finally {
    await fx.close();
  }
});

test("held: the credential comparison reads the whole accepted key whatever is presented", () => {
  const secret = new TextEncoder().encode("svc-key-0123456789abcdef-test");
  const reads = (candidate: string) => {
    let count = 0;
    const bytes = new TextEncoder().encode(candidate);
    const counted = new Proxy(bytes, {
      get(target, prop) {
        if (typeof prop === "string" && /^\d+$/.test(prop)) count++;
        return Reflect.get(target, prop);
      },
    });
    const equal = timingSafeEqual(secret, counted);
    return { equal, count };
  };
  const early = reads("Xvc-key-0123456789abcdef-test");
  const late = reads("svc-key-0123456789abcdef-tesX");
  const right = reads("svc-key-0123456789abcdef-test");
  const short = reads("s");
  assert.deepEqual([early.equal, late.equal, right.equal, short.equal], [
    false,
    false,
    true,
    false,
  ]);
  assert.equal(early.count, secret.length);
  assert.equal(late.count, secret.length);
  assert.equal(right.count, secret.length);
  assert.equal(short.count, secret.length);
});

test("held: session cookies are HttpOnly, Secure, SameSite=Lax, host-only; replay after logout is refused", async () => {
  const fx = await startGateway();
  try {
    const jar = new CookieJar();
    const send = async (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set("cookie", jar.header());
      const res = await fx.app.request(`${ORIGIN}${path}`, { ...init, headers });
      jar.take(res);
      return res;
    };
    await send("/auth/login");
    const cb = await send(`/auth/callback?code=${fx.emu.mintCode({ email: "h@example.com" })}`);
    const lines = cb.headers.getSetCookie();
    for (const name of ["authlite_access", "authlite_refresh", "authlite_profile"]) {
      const line = lines.find((l) => l.startsWith(`${name}=`)) ?? "";
      assert.match(line, /; HttpOnly/, name);
      assert.match(line, /; Secure/, name);
      assert.match(line, /; SameSite=Lax/, name);
      assert.match(line, /; Path=\//, name);
      assert.doesNotMatch(line, /Domain=/i, name);
    }
    const stolen = jar.header();
    assert.equal((await send("/auth/me")).status, 200);
    const out = await send("/auth/logout", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(out.status, 200);
    const replay = await fx.app.request(`${ORIGIN}/auth/me`, { headers: { cookie: stolen } });
    assert.equal(replay.status, 401);
  } finally {
    await fx.close();
  }
});

test("held: bodies over the limit are 413, declared or streamed, on a real socket", async () => {
  const fx = await startGateway({ bodyLimitBytes: 1024 });
  const server = await serve((req) => fx.app.fetch(req));
  try {
    const headers = { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" };
    const declared = await fetch(`${server.url}/rpc/roles/query`, {
      method: "POST",
      headers,
      body: `{"x":"${"a".repeat(2000)}"}`,
    });
    assert.equal(declared.status, 413);
    await declared.text();
    const chunks = [`{"x":"`, "a".repeat(800), "a".repeat(800), `"}`];
    const streamed = await fetch(`${server.url}/rpc/roles/query`, {
      method: "POST",
      headers,
      body: new ReadableStream({
        pull(ctrl) {
          const next = chunks.shift();
          if (next === undefined) ctrl.close();
          else ctrl.enqueue(new TextEncoder().encode(next));
        },
      }),
      // @ts-ignore: Node's and Deno's fetch want this for a stream body
      duplex: "half",
    });
    assert.equal(streamed.status, 413);
    await streamed.text();
  } finally {
    await server.close();
    await fx.close();
  }
});

test("held: JSON routes refuse form and multipart bodies with 415", async () => {
  const fx = await startGateway();
  try {
    const form = new FormData();
    form.set("name", "x");
    for (
      const [path, key] of [["/rpc/roles/addRole", SERVICE_KEY], ["/admin/roles", ADMIN_KEY], [
        "/auth/logout",
        "",
      ]]
    ) {
      for (const body of [new URLSearchParams({ name: "x" }), form]) {
        const res = await fx.app.request(`${ORIGIN}${path}`, {
          method: "POST",
          headers: key === "" ? {} : { authorization: `Bearer ${key}` },
          body,
        });
        assert.equal(res.status, 415, `${path} ${body.constructor.name}`);
      }
    }
  } finally {
    await fx.close();
  }
});

test("held: alg none, HS384 and HS512 replies are refused; a slow-loris reply meets the timeout", async () => {
  const claims = sessionClaims();
  for (
    const token of [
      unsecuredJwt(claims),
      await signClaims(claims, undefined, "HS384"),
      await signClaims(claims, undefined, "HS512"),
    ]
  ) {
    const { client } = fakeClient(() => Response.json(token));
    await rejectsWith(client.getUser("code"), "ERR_BAD_SIGNATURE");
  }
  const stop = Promise.withResolvers<void>();
  const loris = await serve(() =>
    new Response(
      new ReadableStream({
        async start(ctrl) {
          ctrl.enqueue(new TextEncoder().encode('"eyJ'));
          await stop.promise;
          ctrl.close();
        },
      }),
      { headers: { "content-type": "application/json" } },
    )
  );
  try {
    const { AuthLiteClient } = await import("../mod.ts");
    const client = new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      baseUrl: loris.url,
      timeoutMs: 200,
      retries: 0,
    });
    await rejectsWith(client.getUser("code"), "ERR_TIMEOUT");
  } finally {
    stop.resolve();
    await loris.close();
  }
});

test("held: hostile bodies at every route pollute no prototype", async () => {
  const fx = await startGateway();
  try {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const bodies = [
      '{"__proto__":{"polluted":"yes"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"name":"r","permissions":{"__proto__":{"polluted":"yes"}}}',
      '{"uid":"u","rolIds":["r"],"__proto__":{"polluted":"yes"}}',
    ];
    const routes: Array<[string, string, string]> = [
      ["POST", "/rpc/roles/addRole", SERVICE_KEY],
      ["POST", "/rpc/attachRole", SERVICE_KEY],
      ["POST", "/rpc/roles/query", SERVICE_KEY],
      ["POST", "/admin/roles", ADMIN_KEY],
      ["POST", "/admin/users/u/roles", ADMIN_KEY],
      ["POST", "/auth/logout", ""],
    ];
    for (const [method, path, key] of routes) {
      for (const body of bodies) {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (key !== "") headers["authorization"] = `Bearer ${key}`;
        const res = await fx.app.request(`${ORIGIN}${path}`, { method, headers, body });
        assert.ok(res.status < 500, `${path}: ${res.status}`);
        await res.text();
      }
    }
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  } finally {
    await fx.close();
  }
});

test("held: 200 000 bogus sessions leave bounded state (the rejection memory forgets the oldest)", {
  timeout: 120_000,
}, async () => {
  const guard = new TokenSetGuard({ now: () => 0 });
  const rejected = new AuthLiteTokenSetError("Refresh token rejected: log in again");
  const reject = () => Promise.reject(rejected);
  for (let i = 0; i < 200_000; i++) {
    await guard.check(`bogus-${i}`, `r-${i}`, reject).catch(() => {});
  }
  let ran = 0;
  const count = () => (ran++, Promise.reject(new AuthLiteTokenSetError("Rejected: log in again")));
  await guard.check("bogus-0", "r-0", count).catch(() => {});
  await guard.check("bogus-199999", "r-199999", count).catch(() => {});
  assert.equal(ran, 1, "the oldest was forgotten, the newest is still remembered");
});
