/**
 * The Worker with its Durable Object binding, for real: src/runtime/worker.ts
 * bundled with esbuild and run in workerd (Miniflare) as two Workers, two
 * isolates with their own in-process caches, sharing the objects of one
 * `AUTH_STORE` namespace, as isolates in different locations share them on
 * Cloudflare. The upstream is the emulator on a loopback socket, which counts
 * the refreshes.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bundleWorker } from "./_workerd.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { serve } from "./_serve.ts";

// Loaded by a computed specifier: Miniflare's types bring the Workers globals.
interface MfWorker {
  fetch(url: string, init?: RequestInit): Promise<Response>;
}
interface MiniflareLike {
  getWorker(name: string): Promise<MfWorker>;
  dispose(): Promise<void>;
}
const MINIFLARE = "miniflare";
const { Miniflare } = (await import(MINIFLARE)) as {
  Miniflare: new (options: Record<string, unknown>) => MiniflareLike;
};

const SERVICE_KEY = "workerd-service-key-0123456789";
const ADMIN_KEY = "workerd-admin-key-0123456789";
const REFRESH_PATH = "/api/user/me/access/token/";

/** Two gateway Workers in front of `upstream`, sharing the AUTH_STORE objects of the first. */
async function startGateways(upstream: string): Promise<{
  mf: MiniflareLike;
  a: MfWorker;
  b: MfWorker;
}> {
  const script = await bundleWorker();
  const gateway = (name: string) => ({
    name,
    modules: true,
    script,
    compatibilityDate: "2025-09-01",
    bindings: {
      TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
      TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
      TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
      TRUSTAUTHX_BASE_URL: upstream,
      TRUSTAUTHX_WIDGET_URL: upstream,
      SERVICE_KEY,
      ADMIN_KEY,
    },
    durableObjects: {
      AUTH_STORE: { className: "AuthLiteStoreObject", scriptName: "gateway-a" },
    },
  });
  const mf = new Miniflare({ workers: [gateway("gateway-a"), gateway("gateway-b")] });
  return { mf, a: await mf.getWorker("gateway-a"), b: await mf.getWorker("gateway-b") };
}

type Jar = Map<string, string>;

function keepCookies(res: Response, jar: Jar): void {
  for (const line of res.headers.getSetCookie()) {
    const [pair = ""] = line.split(";");
    const i = pair.indexOf("=");
    const value = pair.slice(i + 1);
    if (value === "" || /max-age=0/i.test(line)) jar.delete(pair.slice(0, i));
    else jar.set(pair.slice(0, i), value);
  }
}

const cookieOf = (jar: Jar): string => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

/** Sign in through gateway `w`: login, the widget's code, callback. */
async function signIn(w: MfWorker, code: string): Promise<Jar> {
  const jar: Jar = new Map();
  const login = await w.fetch("http://gateway.test/auth/login", { redirect: "manual" });
  keepCookies(login, jar);
  await login.arrayBuffer();
  const cb = await w.fetch(`http://gateway.test/auth/callback?code=${code}`, {
    redirect: "manual",
    headers: { cookie: cookieOf(jar) },
  });
  assert.equal(cb.status, 302);
  keepCookies(cb, jar);
  await cb.arrayBuffer();
  assert.ok(jar.has("authlite_access") && jar.has("authlite_refresh"));
  return jar;
}

test("worker.ts with AUTH_STORE: concurrent RPC validations of one expired set across two isolates share one refresh", async () => {
  const emu = createEmulator({ accessTokenTtlSeconds: 60 });
  const upstream = await serve(emu.fetch);
  const { mf, a, b } = await startGateways(upstream.url);
  try {
    const s = emu.session({ email: "race@example.com" });
    emu.advanceClock(120); // the access token has expired upstream
    emu.resetRequests();
    const body = JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken });
    const headers = { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" };
    const replies = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          (i % 2 === 0 ? a : b).fetch("http://gateway.test/rpc/validateTokenSet", {
            method: "POST",
            headers,
            body,
          }),
      ),
    );
    const checks = await Promise.all(
      replies.map(async (r) => ({ status: r.status, body: await r.text() })),
    );
    for (const c of checks) assert.equal(c.status, 200, c.body);
    const pairs = new Set(checks.map((c) => c.body));
    assert.equal(pairs.size, 1, `every request got the same new pair: ${[...pairs].join(" | ")}`);
    const check = JSON.parse(checks[0]?.body ?? "{}");
    assert.equal(check.state, false);
    assert.notEqual(check.access, s.accessToken);
    assert.equal(emu.requests().byPath[REFRESH_PATH], 1, "one refresh upstream");
  } finally {
    await mf.dispose();
    await upstream.close();
  }
});

test("worker.ts with AUTH_STORE: a browser's expired session racing through two isolates stays signed in, and a logout on one is refused on the other within 1 s", async () => {
  const emu = createEmulator({ accessTokenTtlSeconds: 60 });
  const upstream = await serve(emu.fetch);
  const { mf, a, b } = await startGateways(upstream.url);
  try {
    const jar = await signIn(a, emu.mintCode({ email: "tabs@example.com" }));
    emu.advanceClock(120);
    emu.resetRequests();

    // Tabs of one browser: 8 requests with the same expired cookies, on both isolates.
    const cookie = cookieOf(jar);
    const replies = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) =>
          (i % 2 === 0 ? a : b).fetch("http://gateway.test/auth/me", { headers: { cookie } }),
      ),
    );
    const setAccess = new Set<string>();
    for (const res of replies) {
      const text = await res.text();
      assert.equal(res.status, 200, text);
      const lines = res.headers.getSetCookie();
      assert.ok(!lines.some((l) => /max-age=0/i.test(l)), `a reply cleared the session: ${lines}`);
      for (const l of lines) if (l.startsWith("authlite_access=")) setAccess.add(l.split(";")[0]!);
      keepCookies(res, jar);
    }
    assert.equal(setAccess.size, 1, "every reply that set cookies set the same new pair");
    assert.equal(emu.requests().byPath[REFRESH_PATH], 1, "one refresh upstream");

    // The refreshed session works on both; then a logout on A.
    const fresh = cookieOf(jar);
    for (const w of [a, b]) {
      const me = await w.fetch("http://gateway.test/auth/me", { headers: { cookie: fresh } });
      assert.equal(me.status, 200, await me.text());
    }
    const out = await a.fetch("http://gateway.test/auth/logout", {
      method: "POST",
      headers: { cookie: fresh, "content-type": "application/json" },
      body: "{}",
    });
    assert.deepEqual(await out.json(), { ok: true, revoked: true });
    const loggedOut = Date.now();

    // B refuses the same cookies, at the latest by a request sent 1 s after the logout.
    let status = 200;
    while (status === 200) {
      const sent = Date.now();
      const me = await b.fetch("http://gateway.test/auth/me", { headers: { cookie: fresh } });
      await me.arrayBuffer();
      status = me.status;
      if (status === 200) {
        assert.ok(sent - loggedOut < 1000, "B still accepted the session 1 s after the logout");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.equal(status, 401);
  } finally {
    await mf.dispose();
    await upstream.close();
  }
});

test("worker.ts with AUTH_STORE: a sign-out of every session on one isolate refuses, within 1 s, a session only the other isolate has seen", async () => {
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  const { mf, a, b } = await startGateways(upstream.url);
  try {
    const here = await signIn(a, emu.mintCode({ email: "everywhere@example.com" }));
    const there = cookieOf(await signIn(b, emu.mintCode({ email: "everywhere@example.com" })));
    const me = await b.fetch("http://gateway.test/auth/me", { headers: { cookie: there } });
    assert.equal(me.status, 200, await me.text()); // cached on B only
    const out = await a.fetch("http://gateway.test/auth/logout", {
      method: "POST",
      headers: { cookie: cookieOf(here), "content-type": "application/json" },
      body: JSON.stringify({ all: true }),
    });
    assert.deepEqual(await out.json(), { ok: true, revoked: true });
    const signedOut = Date.now();
    let status = 200;
    while (status === 200) {
      const sent = Date.now();
      const res = await b.fetch("http://gateway.test/auth/me", { headers: { cookie: there } });
      await res.arrayBuffer();
      status = res.status;
      if (status === 200) {
        assert.ok(sent - signedOut < 1000, "B still accepted the other session 1 s after");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.equal(status, 401);
  } finally {
    await mf.dispose();
    await upstream.close();
  }
});

test("worker.ts with AUTH_STORE: a token set validated on one isolate is a store hit on the other", async () => {
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  const { mf, a, b } = await startGateways(upstream.url);
  try {
    const s = emu.session({ email: "shared@example.com" });
    const init = {
      method: "POST",
      headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken }),
    };
    const first = await a.fetch("http://gateway.test/rpc/validateTokenSet", init);
    assert.deepEqual(await first.json(), {
      state: true,
      access: s.accessToken,
      refresh: s.refreshToken,
    });
    emu.resetRequests();
    const second = await b.fetch("http://gateway.test/rpc/validateTokenSet", init);
    assert.equal(second.status, 200);
    await second.arrayBuffer();
    // The only upstream call of the second isolate is its first request's
    // credentials check (/ready's, on Workers); no validation, no refresh.
    const calls = emu.requests().byPath;
    assert.equal(calls["/api/user/me/auth/validate/token"] ?? 0, 0, "answered from the store");
    assert.equal(calls["/api/user/me/access/token/"] ?? 0, 0, "answered from the store");
    assert.equal(emu.requests().total - (calls["/rbac/role"] ?? 0), 0);
  } finally {
    await mf.dispose();
    await upstream.close();
  }
});

test("worker.ts without AUTH_STORE and TOKEN_CACHE answers 500 naming both", async () => {
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: "2025-09-01",
    bindings: {
      TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
      TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
      TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
    },
  });
  try {
    const res = await (await mf.getWorker("")).fetch("http://gateway.test/health");
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.match(text, /missing AUTH_STORE .* or TOKEN_CACHE /);
    assert.ok(!text.includes(DEMO_ORG.secretKey));
  } finally {
    await mf.dispose();
  }
});

test("worker.ts with AUTH_STORE: an admin demoted through one isolate is refused on the other within 2 s, and cannot give the role back", async () => {
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  const { mf, a, b } = await startGateways(upstream.url);
  try {
    const admins = emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
    const user = emu.seedUser({ email: "root@example.com", roles: [admins.rol_id] });
    const jar = await signIn(a, emu.mintCode({ email: "root@example.com" }));
    const cookie = cookieOf(jar);
    const admin = async (w: MfWorker, init: RequestInit = {}, path = "/admin/roles") => {
      const res = await w.fetch(`http://gateway.test${path}`, {
        ...init,
        headers: { cookie, ...(init.headers as Record<string, string> | undefined) },
      });
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await admin(a), 200);
    assert.equal(await admin(b), 200);

    // Demoted through isolate A's admin route.
    const taken = await a.fetch(`http://gateway.test/admin/users/${user.uid}/roles`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ remove: [admins.rol_id] }),
    });
    assert.equal(taken.status, 200);
    await taken.arrayBuffer();
    const since = performance.now();

    // Refused on B within 2 s, with the cookies of before (the old signed roles).
    let last = await admin(b);
    while (last !== 403 && performance.now() - since < 2000) {
      await new Promise((r) => setTimeout(r, 50));
      last = await admin(b);
    }
    assert.equal(last, 403, "the demoted admin is refused on the other isolate");
    assert.equal(await admin(a), 403);

    // The old roles are good for nothing: not even to give the role back. (No body:
    // the guard answers before the body is read, and Miniflare's proxy under Bun
    // resets a connection whose request body was left unread.)
    for (const w of [a, b]) {
      const back = await admin(w, { method: "POST" }, `/admin/users/${user.uid}/roles`);
      assert.equal(back, 403);
    }
    assert.deepEqual(emu.seedUser({ email: "root@example.com" }).roles, []);
  } finally {
    await mf.dispose();
    await upstream.close();
  }
});
