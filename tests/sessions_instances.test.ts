/**
 * Sessions across instances, deployed as a fleet is: two gateway processes
 * sharing one store and one emulator (served by this test process on a
 * loopback port). Two Bun processes from `src/runtime/bun.ts` share a real
 * redis-server; two Deno processes from `src/runtime/deno.ts` share one Deno
 * KV file. Upstream calls are counted at the emulator; "within 1 s" is a poll
 * with a deadline, never a sleep.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { serve, type TestServer } from "./_serve.ts";
import { type RedisServer, startRedis } from "./_redis_server.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const REFRESH_PATH = "/api/user/me/access/token/";
const VALIDATE_PATH = "/api/user/me/auth/validate/token";
/** The bound docs/cache.md states for a revoke to reach another instance (1 s), plus request time. */
const PROPAGATION_DEADLINE_MS = 1500;

interface Gateway {
  url: string;
  stop(): Promise<void>;
}

/** Start one gateway process; resolve once it printed its URL. */
function startGateway(runtime: "bun" | "deno", env: Record<string, string>): Promise<Gateway> {
  const bin = `${root}node_modules/.bin/${runtime}`;
  const args = runtime === "bun" ? ["src/runtime/bun.ts"] : ["run", "-A", "src/runtime/deno.ts"];
  const child = spawn(bin, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NO_COLOR: "1",
      HOST: "127.0.0.1",
      PORT: "0",
      COOKIE_SECURE: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
  };
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Uint8Array) => {
      output += new TextDecoder().decode(chunk);
      const m = /authlite gateway on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) resolve({ url: m[1]!, stop });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once(
      "exit",
      (code) => reject(new Error(`The ${runtime} gateway exited (${code}):\n${output}`)),
    );
  });
}

/** Cookies as a browser keeps them: the last Set-Cookie wins, an expired one is removed. */
class Jar {
  readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = value === "" || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  clone(): Jar {
    const jar = new Jar();
    for (const [k, v] of this.cookies) jar.cookies.set(k, v);
    return jar;
  }
}

async function request(
  gw: Gateway,
  path: string,
  jar: Jar,
  init: { method?: string; json?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = { cookie: jar.header() };
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${gw.url}${path}`, {
    method: init.method ?? "GET",
    headers,
    redirect: "manual",
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  return res;
}

/** Sign a browser in through `gw`, as a user does (login, then the callback with a code). */
async function login(gw: Gateway, emulator: Emulator, email: string): Promise<Jar> {
  const jar = new Jar();
  const start = await request(gw, "/auth/login", jar);
  await start.body?.cancel();
  jar.take(start);
  const code = emulator.mintCode({ email });
  const back = await request(gw, `/auth/callback?code=${encodeURIComponent(code)}`, jar);
  await back.body?.cancel();
  assert.equal(back.status, 302);
  jar.take(back);
  assert.ok(jar.cookies.has("authlite_access") && jar.cookies.has("authlite_refresh"));
  return jar;
}

/** GET /auth/me until it answers `status`, or fail after `deadlineMs`. */
async function untilStatus(
  gw: Gateway,
  jar: Jar,
  status: number,
  deadlineMs: number,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let last = 0;
  while (Date.now() < deadline) {
    const res = await request(gw, "/auth/me", jar.clone());
    await res.body?.cancel();
    last = res.status;
    if (last === status) return;
  }
  assert.fail(`GET /auth/me answered ${last}, not ${status}, within ${deadlineMs} ms`);
}

function suite(
  name: string,
  runtime: "bun" | "deno",
  storeEnv: () => Promise<{ env: Record<string, string>; close(): Promise<void> }>,
): void {
  describe(name, () => {
    let emulator: Emulator;
    let upstream: TestServer;
    let store: { close(): Promise<void> };
    let a: Gateway;
    let b: Gateway;
    const calls = (path: string) => emulator.requests().byPath[path] ?? 0;

    before(async () => {
      emulator = createEmulator({ accessTokenTtlSeconds: 120 });
      upstream = await serve((req) => emulator.fetch(req));
      const s = await storeEnv();
      store = s;
      const env = {
        TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
        TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
        TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
        TRUSTAUTHX_BASE_URL: upstream.url,
        TRUSTAUTHX_WIDGET_URL: upstream.url,
        // Every request comes from 127.0.0.1: the default /auth/* limit is for real clients.
        AUTH_RATE_LIMIT_PER_MINUTE: "off",
        ...s.env,
      };
      [a, b] = await Promise.all([startGateway(runtime, env), startGateway(runtime, env)]);
    });

    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await store?.close();
      await upstream?.close();
    });

    test("GET /auth/me: 8 concurrent requests with one expired set, split across A and B, all answer 200 with one new pair and one upstream refresh (3 rounds)", async () => {
      for (let round = 0; round < 3; round++) {
        const jar = await login(a, emulator, `race-${crypto.randomUUID()}@example.com`);
        emulator.advanceClock(300); // the access token expired (neither instance has seen it yet)
        emulator.resetRequests();
        const replies = await Promise.all(
          Array.from(
            { length: 8 },
            (_, i) => request(i % 2 === 0 ? a : b, "/auth/me", jar.clone()),
          ),
        );
        const pairs = new Set<string>();
        for (const res of replies) {
          assert.equal(res.status, 200, await res.clone().text());
          const body = await res.json() as { session: { refreshed: boolean } };
          assert.equal(body.session.refreshed, true);
          const next = jar.clone();
          next.take(res);
          pairs.add(
            `${next.cookies.get("authlite_access")}|${next.cookies.get("authlite_refresh")}`,
          );
          assert.notEqual(next.cookies.get("authlite_access"), jar.cookies.get("authlite_access"));
        }
        assert.equal(pairs.size, 1, "every reply carries the same new pair");
        assert.equal(calls(REFRESH_PATH), 1);
      }
    });

    test("POST /auth/logout on A: the same cookies are refused on B within 1 s", async () => {
      const jar = await login(a, emulator, `logout-${crypto.randomUUID()}@example.com`);
      for (const gw of [a, b, b]) {
        const res = await request(gw, "/auth/me", jar.clone());
        await res.body?.cancel();
        assert.equal(res.status, 200);
      }
      const out = await request(a, "/auth/logout", jar.clone(), { method: "POST", json: {} });
      assert.equal(out.status, 200);
      assert.deepEqual(await out.json(), { ok: true, revoked: true });
      await untilStatus(b, jar, 401, PROPAGATION_DEADLINE_MS);
    });

    test("POST /auth/logout {all: true} on A: another session of the user, seen only by B, is refused within 1 s", async () => {
      const email = `all-${crypto.randomUUID()}@example.com`;
      const here = await login(a, emulator, email);
      const there = await login(b, emulator, email);
      const bystander = await login(b, emulator, `bystander-${crypto.randomUUID()}@example.com`);
      for (const jar of [there, there, bystander]) {
        const res = await request(b, "/auth/me", jar.clone());
        await res.body?.cancel();
        assert.equal(res.status, 200);
      }
      const out = await request(a, "/auth/logout", here.clone(), {
        method: "POST",
        json: { all: true },
      });
      assert.equal(out.status, 200);
      await out.body?.cancel();
      await untilStatus(b, there, 401, PROPAGATION_DEADLINE_MS);
      const res = await request(b, "/auth/me", bystander.clone());
      await res.body?.cancel();
      assert.equal(res.status, 200, "another user's session is untouched");
    });

    test("POST /auth/logout with bogus cookies in a stream on both: another session is validated upstream once", async () => {
      const jar = await login(a, emulator, `kept-${crypto.randomUUID()}@example.com`);
      emulator.resetRequests();
      let done = false;
      let logouts = 0;
      const flood = (async () => {
        while (!done) {
          await Promise.all([a, b].map(async (gw) => {
            const bogus = new Jar();
            bogus.cookies.set("authlite_access", `bogus-${++logouts}`);
            bogus.cookies.set("authlite_refresh", `bogus-${logouts}`);
            const out = await request(gw, "/auth/logout", bogus, { method: "POST", json: {} });
            await out.body?.cancel();
          }));
        }
      })();
      try {
        for (let i = 0; i < 20; i++) {
          const me = await request(i % 2 === 0 ? a : b, "/auth/me", jar.clone());
          await me.body?.cancel();
          assert.equal(me.status, 200);
        }
      } finally {
        done = true;
        await flood;
      }
      assert.ok(logouts > 0);
      // The first validation goes upstream and is cached for both instances;
      // a bogus logout does not drop it.
      assert.equal(calls(VALIDATE_PATH), 1);
    });
  });
}

suite("two Bun gateways sharing a redis-server", "bun", async () => {
  const redis: RedisServer = await startRedis();
  return { env: { REDIS_URL: redis.url }, close: () => redis.close() };
});

suite("two Deno gateways sharing one Deno KV file", "deno", () => {
  const dir = mkdtempSync(join(tmpdir(), "authlite-kv-"));
  return Promise.resolve({
    env: { DENO_KV_PATH: join(dir, "kv.sqlite") },
    close: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
});
