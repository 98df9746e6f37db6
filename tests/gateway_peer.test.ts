// Issue 17, "know the peer": the rate limiter counts the real peer when the
// gateway is served as the README shows (Deno.serve(app.fetch),
// Bun.serve({ fetch: app.fetch })), never a header a client can forge, and
// every route that checks a session is limited, /admin/* included. Before the
// fix: app.fetch served directly gave the limiter no address (a forged
// CF-Connecting-IP per request was a new bucket each time), and /admin/* had
// no limit by default (each bogus cookie pair cost upstream calls).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LogRecord } from "../src/gateway/mod.ts";
import { ADMIN_KEY, startGateway } from "./_gateway_fixture.ts";
import type { TestServer } from "./_serve.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

// deno-lint-ignore no-explicit-any
type AppFetch = (req: Request, env?: any, ctx?: any) => Response | Promise<Response>;

/** Serve `app.fetch` itself, as the README does: the runtime passes its own second argument. */
function serveAppFetch(fetch: AppFetch): Promise<TestServer> {
  if (g.Deno?.serve) {
    const ac = new AbortController();
    return new Promise((resolve) => {
      const server = g.Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        signal: ac.signal,
        onListen: ({ port }: { port: number }) =>
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
  const server = g.Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  return Promise.resolve({
    url: `http://127.0.0.1:${server.port}`,
    port: server.port,
    close: () => server.stop(true),
  });
}

async function status(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, init);
  await res.body?.cancel();
  return res.status;
}

const LIMIT = { limit: 3, windowSeconds: 60 };

test("createGateway() served as Deno.serve(app.fetch) / Bun.serve({fetch}) limits by the socket peer, whatever CF-Connecting-IP says", async () => {
  const fx = await startGateway({ authRateLimit: LIMIT });
  const gw = await serveAppFetch(fx.app.fetch);
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        await status(`${gw.url}/auth/me`, { headers: { "cf-connecting-ip": `203.0.113.${i}` } }),
      );
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429]);
  } finally {
    await gw.close();
    await fx.close();
  }
});

test("createGateway() limits /admin/* with session cookies: bogus pairs past the limit cost no upstream call", async () => {
  const fx = await startGateway({ authRateLimit: LIMIT });
  const gw = await serveAppFetch(fx.app.fetch);
  try {
    const statuses: number[] = [];
    let callsAtLimit = 0;
    for (let i = 0; i < 10; i++) {
      const cookie = `authlite_access=bogus-access-${i}; authlite_refresh=bogus-refresh-${i}`;
      statuses.push(await status(`${gw.url}/admin/roles`, { headers: { cookie } }));
      if (i === LIMIT.limit - 1) callsAtLimit = fx.emu.requests().total;
    }
    assert.deepEqual(statuses.slice(LIMIT.limit), Array(7).fill(429));
    assert.equal(fx.emu.requests().total, callsAtLimit, "no upstream call past the limit");
    // The admin key's holder is not a session check: not counted.
    const keyed = await status(`${gw.url}/admin/roles`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(keyed, 200);
  } finally {
    await gw.close();
    await fx.close();
  }
});

test("createGateway() trusts X-Forwarded-For only with trustedProxies, and then only the trusted hops", async () => {
  const untrusted = await startGateway({ authRateLimit: LIMIT });
  const trusted = await startGateway({ authRateLimit: LIMIT, trustedProxies: 1 });
  const a = await serveAppFetch(untrusted.app.fetch);
  const b = await serveAppFetch(trusted.app.fetch);
  try {
    const forged = (i: number) => ({ headers: { "x-forwarded-for": `198.51.100.${i}` } });
    const plain: number[] = [];
    for (let i = 0; i < 4; i++) plain.push(await status(`${a.url}/auth/me`, forged(i)));
    assert.deepEqual(plain, [401, 401, 401, 429], "X-Forwarded-For ignored by default");

    // Behind one proxy: its hop (the rightmost) is the client; what is left of it is the client's word.
    const via = (left: string, client: string) => ({
      headers: { "x-forwarded-for": `${left}, ${client}` },
    });
    const one: number[] = [];
    for (let i = 0; i < 4; i++) {
      one.push(await status(`${b.url}/auth/me`, via(`10.9.9.${i}`, "192.0.2.1")));
    }
    assert.deepEqual(one, [401, 401, 401, 429]);
    assert.equal(
      await status(`${b.url}/auth/me`, via("10.9.9.9", "192.0.2.2")),
      401,
      "another client",
    );
  } finally {
    await a.close();
    await b.close();
    await untrusted.close();
    await trusted.close();
  }
});

test("createGateway() with no peer known neither shares one bucket nor stays silent: not counted, logged once", async () => {
  const records: LogRecord[] = [];
  const fx = await startGateway({ authRateLimit: LIMIT, logger: (r) => records.push(r) });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await fx.app.request("http://gw.test/auth/me")).status);
    }
    assert.deepEqual(statuses, Array(6).fill(401));
    const unknown = records.filter((r) => r.event === "peer-unknown");
    assert.equal(unknown.length, 1, JSON.stringify(records));
    assert.equal(unknown[0]?.level, "error");
    assert.match(unknown[0]?.message ?? "", /peer/);
  } finally {
    await fx.close();
  }
});

test("createGateway() on Workers counts CF-Connecting-IP (a request with Cloudflare's cf), and a peer option wins", async () => {
  const fx = await startGateway({ authRateLimit: LIMIT });
  const onWorkers = (ip: string) => {
    const req = new Request("http://gw.test/auth/me", { headers: { "cf-connecting-ip": ip } });
    Object.defineProperty(req, "cf", { value: { colo: "AMS" } });
    return req;
  };
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await fx.app.fetch(onWorkers("192.0.2.7"), {})).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assert.equal((await fx.app.fetch(onWorkers("192.0.2.8"), {})).status, 401, "another client");
  } finally {
    await fx.close();
  }
  const custom = await startGateway({
    authRateLimit: LIMIT,
    peer: (c) => c.req.header("x-test-peer"),
  });
  try {
    const at = (ip: string) =>
      custom.app.request("http://gw.test/auth/me", { headers: { "x-test-peer": ip } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await at("192.0.2.9")).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assert.equal((await at("192.0.2.10")).status, 401);
  } finally {
    await custom.close();
  }
});
