/**
 * The Worker for real: src/runtime/worker.ts bundled with esbuild and run in
 * workerd (Miniflare) with a real KV binding, against the emulator on a
 * loopback socket; plus a second Worker that calls the first through a
 * service binding (RPC).
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bundleWorker } from "./_workerd.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { serve } from "./_serve.ts";

// Miniflare's type declarations pull in @cloudflare/workers-types, whose global
// types (Response, fetch, ...) would replace the standard ones for every file
// of a `deno check`: load it by a computed specifier, with the little typed here.
interface MfResponse extends Response {}
interface MfWorker {
  fetch(url: string, init?: RequestInit): Promise<MfResponse>;
}
interface MfKV {
  list(): Promise<{ keys: { name: string }[] }>;
  get(key: string): Promise<string | null>;
}
interface MiniflareLike {
  dispatchFetch(url: string, init?: RequestInit): Promise<MfResponse>;
  getKVNamespace(name: string): Promise<MfKV>;
  getWorker(name: string): Promise<MfWorker>;
  dispose(): Promise<void>;
}
const MINIFLARE = "miniflare";
const { Miniflare } = (await import(MINIFLARE)) as {
  Miniflare: new (options: Record<string, unknown>) => MiniflareLike;
};

const SERVICE_KEY = "workerd-service-key-0123456789";
const ADMIN_KEY = "workerd-admin-key-0123456789";

/** The bindings of the gateway Worker in front of the emulator at `upstream`. */
function demoBindings(upstream: string): Record<string, string> {
  return {
    TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
    TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
    TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
    TRUSTAUTHX_BASE_URL: upstream,
    SERVICE_KEY,
  };
}

const CALLER = `
export default {
  async fetch(req, env) {
    const { op, args } = await req.json();
    try {
      const [a, b] = op.split(".");
      const value = b === undefined ? await env.AUTH[a](...args) : await env.AUTH[a][b](...args);
      return Response.json({ ok: true, value });
    } catch (err) {
      return Response.json({ ok: false, message: String(err && err.message) });
    }
  },
};`;

function cookieHeader(res: Response, into: Map<string, string>): void {
  for (const line of res.headers.getSetCookie()) {
    const [pair = ""] = line.split(";");
    const i = pair.indexOf("=");
    const value = pair.slice(i + 1);
    if (value === "" || /max-age=0/i.test(line)) into.delete(pair.slice(0, i));
    else into.set(pair.slice(0, i), value);
  }
}

test("worker.ts in workerd: session and RPC flows, KV cache entries, service binding RPC", async () => {
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  const script = await bundleWorker();
  const mf = new Miniflare({
    workers: [
      {
        name: "gateway",
        modules: true,
        script,
        compatibilityDate: "2025-09-01",
        kvNamespaces: ["TOKEN_CACHE"],
        bindings: { ...demoBindings(upstream.url), TRUSTAUTHX_WIDGET_URL: upstream.url, ADMIN_KEY },
      },
      {
        name: "caller",
        modules: true,
        script: CALLER,
        compatibilityDate: "2025-09-01",
        serviceBindings: { AUTH: { name: "gateway", entrypoint: "AuthLiteService" } },
      },
    ],
  });
  try {
    const base = "http://gateway.test";
    const health = await mf.dispatchFetch(`${base}/health`);
    assert.deepEqual(await health.json(), { ok: true });

    // RPC over HTTP, answered the second time from the KV-backed cache.
    const s = emu.session({ email: "worker@example.com" });
    const body = JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken });
    const headers = { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" };
    const first = await mf.dispatchFetch(`${base}/rpc/validateTokenSet`, {
      method: "POST",
      headers,
      body,
    });
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), {
      state: true,
      access: s.accessToken,
      refresh: s.refreshToken,
    });
    const kv = await mf.getKVNamespace("TOKEN_CACHE");
    const { keys } = await kv.list();
    assert.ok(keys.length > 0, "the KV binding received cache entries");
    for (const { name } of keys) {
      assert.ok(!name.includes(s.accessToken) && !name.includes(s.refreshToken));
      const value = (await kv.get(name)) ?? "";
      assert.ok(!value.includes(s.accessToken), "values are sealed");
    }
    emu.resetRequests();
    const second = await mf.dispatchFetch(`${base}/rpc/validateTokenSet`, {
      method: "POST",
      headers,
      body,
    });
    assert.equal(second.status, 200);
    await second.arrayBuffer();
    assert.equal(emu.requests().total, 0, "answered from the cache");

    const denied = await mf.dispatchFetch(`${base}/rpc/generateUrl`, { method: "POST" });
    assert.equal(denied.status, 401);
    await denied.arrayBuffer();

    // Browser session: login, callback, me, logout.
    const jar = new Map<string, string>();
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const login = await mf.dispatchFetch(`${base}/auth/login`, { redirect: "manual" });
    assert.equal(login.status, 302);
    assert.equal(login.headers.get("location"), `${upstream.url}/widget/login/?org_id=org_demo`);
    cookieHeader(login, jar);
    await login.arrayBuffer();
    const code = emu.mintCode({ email: "worker@example.com" });
    const cb = await mf.dispatchFetch(`${base}/auth/callback?code=${code}`, {
      redirect: "manual",
      headers: { cookie: cookie() },
    });
    assert.equal(cb.status, 302);
    cookieHeader(cb, jar);
    await cb.arrayBuffer();
    assert.ok(jar.has("authlite_access"));
    const me = await mf.dispatchFetch(`${base}/auth/me`, { headers: { cookie: cookie() } });
    assert.equal(me.status, 200);
    const meBody = await me.json() as { user: { email: string } };
    assert.equal(meBody.user.email, "worker@example.com");
    const out = await mf.dispatchFetch(`${base}/auth/logout`, {
      method: "POST",
      headers: { cookie: cookie(), "content-type": "application/json" },
      body: "{}",
    });
    assert.deepEqual(await out.json(), { ok: true, revoked: true });
    cookieHeader(out, jar);
    const after = await mf.dispatchFetch(`${base}/auth/me`, { headers: { cookie: cookie() } });
    assert.equal(after.status, 401);
    await after.arrayBuffer();

    // Another Worker calls the client through the service binding.
    const caller = await mf.getWorker("caller");
    const t = emu.session({ email: "binding@example.com" });
    const viaBinding = await caller.fetch("http://caller.test/", {
      method: "POST",
      body: JSON.stringify({ op: "validateTokenSet", args: [t.accessToken, t.refreshToken] }),
    });
    assert.deepEqual(await viaBinding.json(), {
      ok: true,
      value: { state: true, access: t.accessToken, refresh: t.refreshToken },
    });
    const failing = await caller.fetch("http://caller.test/", {
      method: "POST",
      body: JSON.stringify({ op: "validateTokenSet", args: ["dead.token.x"] }),
    });
    const failure = await failing.json() as { ok: boolean; message: string };
    assert.equal(failure.ok, false);
    assert.match(failure.message, /^ERR_INVALID_TOKEN_SET: /);
    const url = await caller.fetch("http://caller.test/", {
      method: "POST",
      body: JSON.stringify({ op: "generateUrl", args: [] }),
    });
    assert.deepEqual(await url.json(), {
      ok: true,
      value: `${upstream.url}/widget/login/?org_id=org_demo`,
    });

    // The role operations under the same names as on the client: roles.*.
    const viaRoles = async (op: string, args: unknown[]) => {
      const res = await caller.fetch("http://caller.test/", {
        method: "POST",
        body: JSON.stringify({ op, args }),
      });
      return await res.json() as { ok: boolean; value?: unknown; message?: string };
    };
    const added = await viaRoles("roles.addRole", ["binding-editors", { doc: "write" }]);
    assert.equal(added.ok, true, added.message ?? "roles.addRole failed");
    const rolId = (added.value as { rolId: string }).rolId;
    assert.deepEqual(await viaRoles("roles.validate", [rolId, "doc", "write"]), {
      ok: true,
      value: true,
    });
    const count = await viaRoles("roles.count", []);
    assert.equal(count.ok, true);
    assert.equal(typeof count.value, "number");
    const found = await viaRoles("roles.query", [{ roleId: rolId }]);
    assert.deepEqual(found.value, [
      { roleId: rolId, name: "binding-editors", permissions: { doc: "write" } },
    ]);
  } finally {
    await mf.dispose();
    await upstream.close();
  }
});

test("worker.ts in workerd answers 500 naming the missing bindings", async () => {
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: "2025-09-01",
    kvNamespaces: ["TOKEN_CACHE"],
    bindings: { TRUSTAUTHX_SECRET_KEY: "a-secret-that-must-not-show" },
  });
  try {
    const res = await mf.dispatchFetch("http://gateway.test/health");
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.match(text, /missing TRUSTAUTHX_API_KEY, TRUSTAUTHX_ORG_ID/);
    assert.ok(!text.includes("a-secret-that-must-not-show"));
  } finally {
    await mf.dispose();
  }
});

test("worker.ts in workerd: 20 concurrent requests with one expired set share one refresh", async () => {
  const emu = createEmulator({ accessTokenTtlSeconds: 60 });
  const upstream = await serve(emu.fetch);
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: "2025-09-01",
    kvNamespaces: ["TOKEN_CACHE"],
    bindings: demoBindings(upstream.url),
  });
  try {
    const s = emu.session({ email: "burst@example.com" });
    emu.advanceClock(120); // the access token has expired upstream
    emu.resetRequests();
    const body = JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken });
    const headers = { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" };
    // Each request runs in its own request context; the single-flight joins them.
    const replies = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          mf.dispatchFetch("http://gateway.test/rpc/validateTokenSet", {
            method: "POST",
            headers,
            body,
          }),
      ),
    );
    const checks = await Promise.all(
      replies.map(async (r) => ({ status: r.status, body: await r.json() })),
    );
    for (const c of checks) assert.equal(c.status, 200, JSON.stringify(c.body));
    const pairs = new Set(checks.map((c) => JSON.stringify(c.body)));
    assert.equal(pairs.size, 1, "every request got the same new pair");
    const by = emu.requests().byPath;
    assert.equal(by["/api/user/me/access/token/"], 1, "one refresh upstream");
  } finally {
    await mf.dispose();
    await upstream.close();
  }
});
