// Finding 7 (and the rate limit of finding 3): `npm start` passes the peer's
// address to the limiter, so a forged CF-Connecting-IP picks no new bucket; a
// flood of new keys never unblocks a blocked one; the runtimes limit /auth/*
// by default. Before the fix: dev.ts gave no address (one shared bucket, or
// one per forged header), and the oldest key, blocked or not, was dropped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { memoryStore } from "../mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { rateLimit } from "../src/gateway/_rate_limit.ts";
import { onGatewayError } from "../src/gateway/errors.ts";
import { configFromEnv, gatewayFromConfig } from "../src/runtime/_config.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

test("rateLimit() keeps a blocked key blocked through a flood of new keys", async () => {
  let t = 0;
  const app = new Hono<{ Bindings: { key: string } }>();
  app.onError(onGatewayError([]));
  app.use(
    "*",
    rateLimit({ limit: 2, windowSeconds: 60, maxKeys: 100, now: () => t, key: (c) => c.env.key }),
  );
  app.get("/", (c) => c.text("ok"));
  const hit = async (key: string) => (await app.request("/", {}, { key })).status;
  assert.equal(await hit("attacker"), 200);
  assert.equal(await hit("attacker"), 200);
  assert.equal(await hit("attacker"), 429);
  for (let i = 0; i < 20_000; i++) await hit(`flood-${i}`);
  assert.equal(await hit("attacker"), 429, "still blocked after 20 000 new keys");
  t += 61_000;
  assert.equal(await hit("attacker"), 200, "free again when the window is over");
});

test("rateLimit() forgets an open key before a blocked one, even a newer open key", async () => {
  let t = 0;
  const app = new Hono<{ Bindings: { key: string } }>();
  app.onError(onGatewayError([]));
  app.use(
    "*",
    rateLimit({ limit: 1, windowSeconds: 60, maxKeys: 4, now: () => t, key: (c) => c.env.key }),
  );
  app.get("/", (c) => c.text("ok"));
  const hit = async (key: string) => (await app.request("/", {}, { key })).status;
  for (const k of ["a", "b", "c"]) {
    await hit(k);
    assert.equal(await hit(k), 429);
  }
  assert.equal(await hit("open"), 200);
  assert.equal(await hit("new"), 200);
  t += 1;
  // "open" made room for "new": the blocked keys, older, stay blocked.
  for (const k of ["a", "b", "c"]) assert.equal(await hit(k), 429, k);
});

test("configFromEnv() limits /auth/* by default, and AUTH_RATE_LIMIT_PER_MINUTE sets or turns it off", () => {
  const base = {
    TRUSTAUTHX_API_KEY: "k",
    TRUSTAUTHX_SECRET_KEY: "s",
    TRUSTAUTHX_ORG_ID: "o",
  };
  assert.equal(configFromEnv(base).authRateLimitPerMinute, 300);
  assert.equal(
    configFromEnv({ ...base, AUTH_RATE_LIMIT_PER_MINUTE: "20" }).authRateLimitPerMinute,
    20,
  );
  assert.equal(
    configFromEnv({ ...base, AUTH_RATE_LIMIT_PER_MINUTE: "off" }).authRateLimitPerMinute,
    undefined,
  );
  assert.throws(() => configFromEnv({ ...base, AUTH_RATE_LIMIT_PER_MINUTE: "-1" }), {
    code: "ERR_CONFIG",
  });
});

test("the runtimes' gateway answers 429 on /auth/* past the default limit, per peer address", async () => {
  const config = configFromEnv({
    TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
    TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
    TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
    TRUSTAUTHX_BASE_URL: "http://127.0.0.1:9",
  });
  const { app } = await gatewayFromConfig(config, { store: memoryStore() });
  const me = (remoteAddr: string) =>
    app.fetch(new Request("http://gw.test/auth/me"), { remoteAddr });
  for (let i = 0; i < 300; i++) assert.equal((await me("10.0.0.1")).status, 401);
  const limited = await me("10.0.0.1");
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  assert.equal((await me("10.0.0.2")).status, 401, "another address has its own bucket");
  const health = await app.fetch(new Request("http://gw.test/health"), { remoteAddr: "10.0.0.1" });
  assert.equal(health.status, 200);
});

test("npm start passes the peer address: a forged CF-Connecting-IP gets no new bucket", async () => {
  const child = spawn(`${root}node_modules/.bin/deno`, ["run", "-A", "src/runtime/dev.ts"], {
    cwd: root,
    env: { ...process.env, PORT: "0", NO_COLOR: "1", RATE_LIMIT_PER_MINUTE: "3" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  try {
    let output = "";
    const gateway = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const url = /authlite gateway\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        if (url && /admin key/.test(output)) resolve(url);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("exit", (code) => reject(new Error(`dev.ts exited with ${code}:\n${output}`)));
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gateway}/auth/me`);
      await res.body?.cancel();
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [401, 401, 401]);
    for (const ip of ["203.0.113.7", "198.51.100.1"]) {
      const res = await fetch(`${gateway}/auth/me`, { headers: { "cf-connecting-ip": ip } });
      await res.body?.cancel();
      assert.equal(res.status, 429, `CF-Connecting-IP ${ip}`);
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
});
