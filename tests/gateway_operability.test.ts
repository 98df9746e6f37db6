// Issue 18, operability: the logger (one record per kind and interval, never
// a secret), /ready (the upstream's acceptance of the credentials and the
// store, over real sockets: the emulator and a redis-server stopped and
// started again), Server-Timing, and /admin/status. Each was seen failing
// before the gateway had it (no logger option, /ready and /admin/status 404,
// no Server-Timing header).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { AsyncLocalStorage } from "node:async_hooks";
import { Redis } from "ioredis";
import { AuthLiteClient, memoryStore, redisStore } from "../mod.ts";
import type { AuthLiteEvent } from "../src/_events.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { createGateway, createTelemetry, type LogRecord } from "../src/gateway/mod.ts";
import { ADMIN_KEY, SESSION_SECRET, startGateway } from "./_gateway_fixture.ts";
import type { TestServer } from "./_serve.ts";

const ORIGIN = "http://gw.test";

test("createTelemetry() logs each kind of event of note once per interval, counting the rest", () => {
  let t = 0;
  const records: LogRecord[] = [];
  const telemetry = createTelemetry({ logger: (r) => records.push(r), now: () => t });
  const events: AuthLiteEvent[] = [
    {
      type: "upstream",
      endpoint: "/api/user/me/access/token/",
      method: "GET",
      outcome: 503,
      durationMs: 3,
      startedAt: 0,
    },
    {
      type: "upstream",
      endpoint: "/api/user/me/access/token/",
      method: "GET",
      outcome: 200,
      durationMs: 3,
      startedAt: 0,
    },
    { type: "store", operation: "get", outcome: "timeout", durationMs: 250, startedAt: 0 },
    { type: "refresh", outcome: "deferred" },
    { type: "refresh", outcome: "redeemed" },
    { type: "breaker", name: "store", state: "open" },
    { type: "credentials", credential: "secretKey" },
    { type: "rate-limit", route: "auth" },
    { type: "cache", outcome: "miss" },
  ];
  for (let i = 0; i < 1000; i++) for (const e of events) telemetry.observe(e);
  assert.deepEqual(
    records.map((r) => r.event),
    ["upstream-error", "store-error", "refresh-failed", "breaker", "credentials", "rate-limited"],
  );
  for (const r of records) assert.ok(["warn", "error", "info"].includes(r.level), r.level);
  const credentials = records.find((r) => r.event === "credentials");
  assert.match(credentials?.message ?? "", /TRUSTAUTHX_SECRET_KEY/);
  t += 10_001;
  telemetry.observe(events[0]!);
  assert.equal(records.length, 7);
  assert.equal(records[6]?.suppressed, 999, "the flood is counted, not written");
});

test("createTelemetry()'s default logger writes one JSON line per record, with a level and a time", () => {
  const lines: string[] = [];
  const original = { log: console.log, error: console.error };
  console.log = (line: string) => lines.push(line);
  console.error = (line: string) => lines.push(line);
  try {
    const telemetry = createTelemetry({});
    telemetry.observe({ type: "credentials", credential: "apiKey" });
    telemetry.observe({ type: "credentials", credential: "apiKey" });
  } finally {
    console.log = original.log;
    console.error = original.error;
  }
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0]!);
  assert.equal(record.level, "error");
  assert.equal(record.event, "credentials");
  assert.ok(!Number.isNaN(Date.parse(record.time)));
});

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr !== null ? addr.port : 0));
    });
  });
}

/** redis-server on `port`, resolved once it accepts connections. */
function redisOn(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    let log = "";
    child.stdout.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (/Ready to accept connections/.test(log)) {
        resolve(async () => {
          child.kill("SIGKILL");
          await exited;
        });
      }
    });
    child.once("exit", () => reject(new Error(`redis-server exited:\n${log}`)));
  });
}

/** Serve `fetch` on a given port (to stop and start the emulator at one address). */
function serveOn(
  port: number,
  fetch: (req: Request) => Response | Promise<Response>,
): Promise<TestServer> {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno?.serve) {
    const ac = new AbortController();
    return new Promise((resolve) => {
      const server = g.Deno.serve({
        hostname: "127.0.0.1",
        port,
        signal: ac.signal,
        onListen: () =>
          resolve({
            url: `http://127.0.0.1:${port}`,
            port,
            close: async () => {
              ac.abort();
              await server.finished;
            },
          }),
      }, fetch);
    });
  }
  const server = g.Bun.serve({ hostname: "127.0.0.1", port, fetch });
  return Promise.resolve({
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => server.stop(true),
  });
}

test("GET /ready answers 503 naming what is down when the emulator or redis-server stops, and 200 again when they are back", async () => {
  const emu = createEmulator({ control: true });
  const emuPort = await freePort();
  let upstream = await serveOn(emuPort, emu.fetch);
  const redisPort = await freePort();
  let stopRedis = await redisOn(redisPort);
  const redis = new Redis(redisPort, "127.0.0.1", {
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  });
  const store = redisStore(redis);
  let t = 0;
  const client = new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: upstream.url,
    tokenCache: store,
    retries: 0,
    timeoutMs: 2000,
  });
  const app = createGateway({
    client,
    sessionSecret: SESSION_SECRET,
    logger: false,
    ready: { store, cacheSeconds: 5, timeoutMs: 500, now: () => t },
  });
  // Each probe after the kept answer's 5 s (on the injected clock).
  const probe = () => {
    t += 5_000;
    return app.request(`${ORIGIN}/ready`);
  };
  try {
    const first = await probe();
    const firstBody = await first.json();
    assert.equal(first.status, 200, JSON.stringify(firstBody));
    assert.deepEqual(firstBody.down, []);
    const calls = emu.requests().total;
    assert.equal((await app.request(`${ORIGIN}/ready`)).status, 200);
    assert.equal(emu.requests().total, calls, "a second probe within 5 s makes no upstream call");
    assert.equal((await app.request(`${ORIGIN}/health`)).status, 200);

    await upstream.close();
    let res = await probe();
    let body = await res.json();
    assert.equal(res.status, 503);
    assert.deepEqual(body.down, ["upstream"]);
    assert.equal(body.checks.upstream.ok, false);
    assert.equal(body.checks.store.ok, true);

    upstream = await serveOn(emuPort, emu.fetch);
    res = await probe();
    assert.equal(res.status, 200, JSON.stringify(await res.clone().json()));

    await stopRedis();
    res = await probe();
    body = await res.json();
    assert.equal(res.status, 503);
    assert.deepEqual(body.down, ["store"]);

    stopRedis = await redisOn(redisPort);
    let status = 0;
    // ioredis reconnects every 50 ms: ready again within a few probes.
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await probe()).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200);
    const text = JSON.stringify(body);
    for (const secret of [DEMO_ORG.apiKey, DEMO_ORG.secretKey]) assert.ok(!text.includes(secret));
  } finally {
    redis.disconnect();
    await stopRedis();
    await upstream.close();
  }
});

test("GET /ready names the variable to fix when TrustAuthX rejects the credentials", async () => {
  const fx = await startGateway();
  try {
    const client = new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: "not-the-secret-key-of-the-demo-org",
      orgId: DEMO_ORG.orgId,
      baseUrl: fx.server.url,
      retries: 0,
    });
    const records: LogRecord[] = [];
    const app = createGateway({
      client,
      sessionSecret: SESSION_SECRET,
      logger: (r) => records.push(r),
      ready: { store: memoryStore() },
    });
    const res = await app.request(`${ORIGIN}/ready`);
    const body = await res.json();
    assert.equal(res.status, 503);
    assert.deepEqual(body.down, ["upstream"]);
    assert.equal(body.checks.upstream.reason, "credentials rejected");
    assert.match(body.checks.upstream.fix, /TRUSTAUTHX_SECRET_KEY/);
    assert.ok(!JSON.stringify(body).includes("not-the-secret-key"));
    assert.equal(records.filter((r) => r.event === "ready").length, 1);
  } finally {
    await fx.close();
  }
});

test("Server-Timing: on with serverTiming (store and upstream durations of the request), off by default", async () => {
  const telemetry = createTelemetry({ logger: false, asyncLocalStorage: new AsyncLocalStorage() });
  const fx = await startGateway({ serverTiming: true, telemetry });
  try {
    // The client's events reach the telemetry through its observer (until the
    // client's `observe` option is merged, the gateway's own request is measured).
    const { accessToken, refreshToken } = fx.emu.session({ email: "timing@example.com" });
    const cookie = `authlite_access=${accessToken}; authlite_refresh=${refreshToken}`;
    const res = await fx.app.request(`${ORIGIN}/auth/me`, { headers: { cookie } });
    const timing = res.headers.get("server-timing") ?? "";
    assert.match(timing, /total;dur=\d+(\.\d+)?/);
    const health = await fx.app.request(`${ORIGIN}/health`);
    assert.match(health.headers.get("server-timing") ?? "", /total;dur=/);
  } finally {
    await fx.close();
  }
  const off = await startGateway({ logger: false });
  try {
    assert.equal((await off.app.request(`${ORIGIN}/health`)).headers.get("server-timing"), null);
  } finally {
    await off.close();
  }
});

test("Server-Timing attributes the events of a request to it (store, upstream, cache)", async () => {
  const telemetry = createTelemetry({ logger: false, asyncLocalStorage: new AsyncLocalStorage() });
  const fx = await startGateway({
    serverTiming: true,
    telemetry,
    // A route of our own that makes the calls the client and cache would report.
    ui: (app) =>
      app.get("/timed", async (c) => {
        await new Promise((r) => setTimeout(r, 1));
        telemetry.observe({ type: "cache", outcome: "store-hit" });
        telemetry.observe({
          type: "store",
          operation: "get",
          outcome: "ok",
          durationMs: 2.5,
          startedAt: Date.now(),
        });
        telemetry.observe({
          type: "upstream",
          endpoint: "/x",
          method: "GET",
          outcome: 200,
          durationMs: 40,
          startedAt: Date.now(),
        });
        telemetry.observe({
          type: "upstream",
          endpoint: "/x",
          method: "GET",
          outcome: 200,
          durationMs: 2,
          startedAt: Date.now(),
        });
        return c.text("ok");
      }),
  });
  try {
    const [a, b] = await Promise.all([
      fx.app.request(`${ORIGIN}/timed`),
      fx.app.request(`${ORIGIN}/health`),
    ]);
    const timing = a.headers.get("server-timing") ?? "";
    assert.match(timing, /cache;desc="store-hit"/);
    assert.match(timing, /store;dur=2\.5;desc="1 calls"/);
    assert.match(timing, /upstream;dur=42\.0;desc="2 calls"/);
    assert.doesNotMatch(b.headers.get("server-timing") ?? "", /upstream/, "not another request's");
  } finally {
    await fx.close();
  }
});

test("GET /admin/status: admin only; hit ratio, upstream and store latency and errors, breakers, since start and last minute", async () => {
  let t = 1_000_000;
  const telemetry = createTelemetry({ logger: false, now: () => t });
  const fx = await startGateway({ telemetry });
  try {
    assert.equal((await fx.app.request(`${ORIGIN}/admin/status`)).status, 401);
    const feed = (e: AuthLiteEvent) => telemetry.observe(e);
    for (let i = 0; i < 3; i++) feed({ type: "cache", outcome: "memory-hit" });
    feed({ type: "cache", outcome: "miss" });
    for (let i = 1; i <= 100; i++) {
      feed({
        type: "upstream",
        endpoint: "/e",
        method: "GET",
        outcome: 200,
        durationMs: i,
        startedAt: t,
      });
    }
    feed({
      type: "upstream",
      endpoint: "/e",
      method: "GET",
      outcome: 503,
      durationMs: 5,
      startedAt: t,
    });
    feed({
      type: "upstream",
      endpoint: "/e",
      method: "GET",
      outcome: "timeout",
      durationMs: 5,
      startedAt: t,
    });
    feed({ type: "store", operation: "get", outcome: "error", durationMs: 1, startedAt: t });
    feed({ type: "breaker", name: "store", state: "open" });
    const auth = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };
    let res = await fx.app.request(`${ORIGIN}/admin/status`, auth);
    assert.equal(res.status, 200);
    let body = await res.json();
    assert.equal(body.total.cache.hitRatio, 0.75);
    assert.equal(body.total.upstream.calls, 102);
    assert.deepEqual(body.total.upstream.errors, { "503": 1, timeout: 1 });
    assert.ok(
      body.total.upstream.p50Ms >= 45 && body.total.upstream.p50Ms <= 60,
      body.total.upstream.p50Ms,
    );
    assert.ok(
      body.total.upstream.p99Ms >= 95 && body.total.upstream.p99Ms <= 115,
      body.total.upstream.p99Ms,
    );
    assert.deepEqual(body.total.store.errors, { error: 1 });
    assert.deepEqual(body.breakers, { upstream: "closed", store: "open" });
    assert.deepEqual(body.lastMinute.cache, body.total.cache);
    t += 61_000;
    res = await fx.app.request(`${ORIGIN}/admin/status`, auth);
    body = await res.json();
    assert.equal(body.lastMinute.upstream.calls, 0, "the last minute forgets");
    assert.equal(body.total.upstream.calls, 102);
  } finally {
    await fx.close();
  }
});
