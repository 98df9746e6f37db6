import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteError } from "../mod.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { configFromEnv, sessionSecretOf } from "../src/runtime/_config.ts";
import { serve } from "./_serve.ts";
import { openDenoKv } from "./_deno_kv.ts";

const SERVICE_KEY = "runtime-service-key-0123456789";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The environment of a gateway in front of the emulator at `upstream`, on an ephemeral port. */
function demoEnv(upstream: string): Record<string, string> {
  return {
    TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
    TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
    TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
    TRUSTAUTHX_BASE_URL: upstream,
    HOST: "127.0.0.1",
    PORT: "0",
    DENO_KV_PATH: ":memory:",
  };
}

/** Start the runtime entry of the runner: deno.ts under Deno, bun.ts under Bun. */
async function startRuntimeGateway(env: Record<string, string>) {
  return g.Deno
    ? await (await import("../src/runtime/deno.ts")).startDenoGateway(env)
    : await (await import("../src/runtime/bun.ts")).startBunGateway(env);
}

test("configFromEnv() names every missing variable, and no value", () => {
  assert.throws(
    () => configFromEnv({ TRUSTAUTHX_SECRET_KEY: "top-secret-value", SERVICE_KEY: "short" }),
    (err: unknown) => {
      assert.ok(err instanceof AuthLiteError);
      assert.equal(err.code, "ERR_CONFIG");
      assert.match(err.message, /missing TRUSTAUTHX_API_KEY, TRUSTAUTHX_ORG_ID/);
      assert.match(err.message, /SERVICE_KEY must be 16\+ characters/);
      assert.ok(!err.message.includes("top-secret-value"));
      assert.ok(!err.message.includes("short"));
      return true;
    },
  );
});

test("configFromEnv() reads the optional variables", async () => {
  const config = configFromEnv({
    TRUSTAUTHX_API_KEY: "k",
    TRUSTAUTHX_SECRET_KEY: "s",
    TRUSTAUTHX_ORG_ID: "o",
    TRUSTAUTHX_BASE_URL: "http://127.0.0.1:1",
    SERVICE_KEY: `${SERVICE_KEY}, ${SERVICE_KEY}-next`,
    CORS_ORIGINS: "https://a.example,https://b.example",
    COOKIE_SECURE: "false",
    RATE_LIMIT_PER_MINUTE: "120",
  });
  assert.deepEqual(config.serviceKeys, [SERVICE_KEY, `${SERVICE_KEY}-next`]);
  assert.deepEqual(config.corsOrigins, ["https://a.example", "https://b.example"]);
  assert.equal(config.cookieSecure, false);
  assert.equal(config.rateLimitPerMinute, 120);
  const secret = await sessionSecretOf(config);
  assert.equal(secret.length, 64);
  assert.equal(secret, await sessionSecretOf(config), "the same on every instance");
  assert.ok(!secret.includes("s".repeat(2)));
  assert.throws(() => configFromEnv({ ...config, TRUSTAUTHX_BASE_URL: "ftp://x" }), /missing/);
});

test("startDenoGateway() / startBunGateway() serve the gateway over HTTP", async () => {
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  // Under Deno, the token cache must be in Deno KV (a file this test reads back), not in memory.
  const kvDir = g.Deno ? await g.Deno.makeTempDir() as string : undefined;
  const kvPath = kvDir === undefined ? ":memory:" : `${kvDir}/gateway.kv`;
  if (kvDir !== undefined) (await openDenoKv(kvPath)).close(); // fails at once without Deno KV
  const gw = await startRuntimeGateway({
    ...demoEnv(upstream.url),
    TRUSTAUTHX_WIDGET_URL: upstream.url,
    SERVICE_KEY,
    DENO_KV_PATH: kvPath,
  });
  try {
    const health = await fetch(`${gw.url}/health`);
    assert.deepEqual(await health.json(), { ok: true });
    const s = emu.session({ email: "rt@example.com" });
    const body = JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken });
    const headers = { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" };
    const first = await fetch(`${gw.url}/rpc/validateTokenSet`, { method: "POST", headers, body });
    assert.equal((await first.json()).state, true);
    emu.resetRequests();
    const second = await fetch(`${gw.url}/rpc/validateTokenSet`, { method: "POST", headers, body });
    assert.equal(second.status, 200);
    await second.body?.cancel();
    assert.equal(emu.requests().total, 0, "answered from the runtime's token cache");
    if (kvDir !== undefined) {
      const kv = await openDenoKv(kvPath);
      try {
        const keys: string[] = [];
        for await (const e of kv.list({ prefix: [] })) keys.push(e.key.join("/"));
        assert.ok(keys.length > 0, "deno.ts keeps the token set in Deno KV, not in memory");
        for (const k of keys) assert.ok(!k.includes(s.accessToken) && !k.includes(s.refreshToken));
      } finally {
        kv.close();
      }
    }
    const login = await fetch(`${gw.url}/auth/login`, { redirect: "manual" });
    assert.equal(login.status, 302);
    assert.equal(login.headers.get("location"), `${upstream.url}/widget/login/?org_id=org_demo`);
    await login.body?.cancel();
  } finally {
    await gw.close();
    await upstream.close();
    if (kvDir !== undefined) await g.Deno.remove(kvDir, { recursive: true });
  }
});

test("startDenoGateway() / startBunGateway() rate-limit by the peer's address, not a forged header", async () => {
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  const gw = await startRuntimeGateway({ ...demoEnv(upstream.url), RATE_LIMIT_PER_MINUTE: "2" });
  try {
    const statuses: number[] = [];
    for (const ip of ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) {
      const res = await fetch(`${gw.url}/auth/me`, {
        headers: { "x-forwarded-for": ip, "cf-connecting-ip": ip },
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, [401, 401, 429], "one peer, however it names itself");
  } finally {
    await gw.close();
    await upstream.close();
  }
});
