// The gateway's hot lane (src/gateway/_lane.ts) under the gateway's own rate
// limits (src/gateway/_limits.ts): the lane counts a request once, where
// Hono's guard counts it, and hands its verdicts to the app with any request
// it hands on (a copy too), so that the replies and the counts are the app's:
// N calls pass, the next is 429 with the same Retry-After, on both paths; an
// unknown peer is not counted and logged alike; X-Forwarded-For under
// trustedProxies is keyed alike. A deployed gateway (the runtimes' default
// authRateLimit) now answers GET /auth/me in the lane.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore } from "../mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { cloudflarePeer, createTelemetry, type GatewayOptions } from "../src/gateway/mod.ts";
import { configFromEnv, gatewayFromConfig } from "../src/runtime/_config.ts";
import { type GatewayFixture, SERVICE_KEY, signIn, startGateway } from "./_gateway_fixture.ts";
import { runSide, type Side, type Twins, twins } from "./_lane_twins.ts";

const ORIGIN = "http://gw.test";

/** An RPC call as it comes off a socket: a declared length with the body. */
function post(path: string, body: string, headers: Record<string, string> = {}): () => Request {
  return () =>
    new Request(`${ORIGIN}${path}`, {
      method: "POST",
      headers: {
        "content-length": String(new TextEncoder().encode(body).length),
        "content-type": "application/json",
        authorization: `Bearer ${SERVICE_KEY}`,
        ...headers,
      },
      body,
    });
}

function me(cookie?: string, headers: Record<string, string> = {}): () => Request {
  return () =>
    new Request(`${ORIGIN}/auth/me`, {
      headers: { ...headers, ...(cookie === undefined ? {} : { cookie }) },
    });
}

/** The same requests through the lane and through the twin's Hono: the replies. */
async function both(t: Twins, calls: (() => Request)[], env?: unknown, name = "") {
  const lane = await runSide(t.lane, calls, env);
  const hono = await runSide(t.hono, calls, env);
  assert.deepStrictEqual(lane, hono, `${name}: the lane's replies are Hono's`);
  return lane;
}

/** Counts Hono's dispatches of an app (its router's matches): 0 where the lane answered. */
function dispatches(app: unknown): { count: number } {
  const router = (app as { router: { match: (...args: unknown[]) => unknown } }).router;
  const match = router.match.bind(router);
  const seen = { count: 0 };
  router.match = (...args) => (seen.count++, match(...args));
  return seen;
}

const statuses = (replies: { status: number }[]) => replies.map((r) => r.status);
const retryAfter = (reply: { headers: string[][] }) =>
  reply.headers.find(([k]) => k === "retry-after")?.[1];

test("RPC under rateLimit: 3 calls pass, the 4th is 429 with the same Retry-After on both paths, whatever the lane did with them", async () => {
  let now = 1_000_000;
  const clock = () => now;
  const t = await twins({
    rateLimit: { limit: 3, windowSeconds: 60, now: clock },
    // Not a limit of scope rpc: 3 calls pass all the same.
    authRateLimit: { limit: 1, windowSeconds: 60, now: clock },
  });
  try {
    const s = t.fx.emu.session({ email: "limits@example.com" });
    const valid = post("/rpc/validateTokenSet", JSON.stringify({ accessToken: s.accessToken }));
    const rejected = post("/rpc/validateTokenSet", '{"accessToken":1}');
    const malformed = post("/rpc/validateTokenSet", '{"accessToken":');
    const wrong = post("/rpc/validateTokenSet", "{}", { authorization: "Bearer not-the-key-0000" });
    const failing = post("/rpc/getUserData", JSON.stringify({ accessToken: "not.a.token" }));
    const sequences: Array<[string, (() => Request)[]]> = [
      ["valid", [valid, valid, valid, valid]],
      ["a rejected body (a copy to zod)", [rejected, rejected, rejected, valid]],
      ["a malformed body (a copy to zod)", [malformed, malformed, malformed, malformed]],
      ["a wrong credential (to Hono uncounted)", [wrong, wrong, wrong, valid]],
      ["an operation's error", [failing, failing, failing, valid]],
      ["mixed", [valid, rejected, malformed, valid]],
    ];
    let refusals = 0;
    for (const [i, [name, calls]] of sequences.entries()) {
      const env = { remoteAddr: `203.0.113.${i + 1}` };
      now = 1_000_000;
      const first = await both(t, calls.slice(0, 3), env, name);
      assert.ok(first.every((r) => r.status !== 429), `${name}: ${statuses(first)}`);
      now += 15_000;
      const [fourth] = await both(t, calls.slice(3), env, name);
      assert.equal(fourth?.status, 429, name);
      assert.equal(retryAfter(fourth!), "45", name);
      assert.match(fourth!.body, /ERR_RATE_LIMITED/);
      refusals++;
      // A new window: allowed again.
      now += 45_000;
      const [again] = await both(t, [valid], env, name);
      assert.equal(again?.status, 200, name);
    }
    assert.equal(t.lane.refused(), refusals, "onLimited told once a refusal (lane)");
    assert.equal(t.hono.refused(), refusals, "onLimited told once a refusal (Hono)");
    const limitedLogs = (side: Side) => side.records.filter((r) => r.event === "rate-limited");
    assert.deepStrictEqual(limitedLogs(t.lane), limitedLogs(t.hono));
  } finally {
    await t.fx.close();
  }
});

test("GET /auth/me under rateLimit and authRateLimit: counted in the app's order, once, on both paths", async () => {
  let now = 1_000_000;
  const clock = () => now;
  const t = await twins({
    rateLimit: { limit: 4, windowSeconds: 60, now: clock },
    authRateLimit: { limit: 2, windowSeconds: 60, now: clock },
  });
  try {
    const jar = await signIn(t.fx, "me-limits@example.com");
    const hit = me(jar.header());
    const valid = post(
      "/rpc/validateTokenSet",
      JSON.stringify({ accessToken: t.fx.emu.session({ email: "x@example.com" }).accessToken }),
    );
    // authRateLimit refuses the 3rd and 4th (rateLimit counted them: 4), and
    // rateLimit the 5th; then an RPC call of the peer is refused too.
    const env = { remoteAddr: "198.51.100.1" };
    const replies = await both(t, [hit, hit, hit, hit, hit, valid], env, "hits");
    assert.deepStrictEqual(statuses(replies), [200, 200, 429, 429, 429, 429]);
    // RPC first: rateLimit has 1 left when /auth/me comes, so the 2nd is
    // refused by rateLimit, and authRateLimit counted only the 1st.
    const other = { remoteAddr: "198.51.100.2" };
    now += 10_000;
    const mixed = await both(t, [valid, valid, valid, hit, hit], other, "RPC first");
    assert.deepStrictEqual(statuses(mixed), [200, 200, 200, 200, 429]);
    assert.equal(retryAfter(mixed[4]!), "60");
    // Refused by the route (no session, a bad cookie): each counted once. A
    // bad cookie of its own each side (the client remembers a refusal).
    for (const [name, cookie] of [["no cookie", undefined], ["bad cookie", "bad"]] as const) {
      const env = { remoteAddr: `192.0.2.${name.length}` };
      const [lane, hono] = await Promise.all([t.lane, t.hono].map((side) => {
        const call = me(cookie && `authlite_access=${side.name}; authlite_refresh=${side.name}`);
        return runSide(side, [call, call, call], env);
      }));
      assert.deepStrictEqual(lane, hono, name);
      assert.deepStrictEqual(statuses(lane!), [401, 401, 429], name);
    }
    assert.equal(t.lane.refused(), t.hono.refused());
    assert.equal(t.lane.refused(), 7);
  } finally {
    await t.fx.close();
  }
});

test("GET /auth/me that refreshes is counted once: the lane hands the count on with the session", async () => {
  const now = 1_000_000;
  const t = await twins({ authRateLimit: { limit: 3, windowSeconds: 60, now: () => now } });
  try {
    const jars = [
      await signIn(t.fx, "refresh-lane@example.com"),
      await signIn(t.fx, "refresh-hono@example.com"),
    ];
    t.fx.advance(3700); // past the access tokens' expiry
    const results = [];
    for (const [i, side] of [t.lane, t.hono].entries()) {
      const jar = jars[i]!;
      const env = { remoteAddr: "203.0.113.50" };
      const out = [];
      for (let n = 0; n < 4; n++) {
        const res = await side.fetch(me(jar.header())(), env);
        const names = jar.take(res).sort();
        const body = await res.json();
        out.push({ status: res.status, names, refreshed: body.session?.refreshed });
      }
      results.push(out);
    }
    assert.deepStrictEqual(results[0], results[1]);
    assert.deepStrictEqual(results[0], [
      {
        status: 200,
        names: ["authlite_access", "authlite_profile", "authlite_refresh"],
        refreshed: true,
      },
      { status: 200, names: [], refreshed: false },
      { status: 200, names: [], refreshed: false },
      { status: 429, names: [], refreshed: undefined },
    ]);
  } finally {
    await t.fx.close();
  }
});

test("an unknown peer (no env) is not counted, and is logged as the app logs it", async () => {
  const t = await twins({
    rateLimit: { limit: 1, windowSeconds: 60 },
    authRateLimit: { limit: 1, windowSeconds: 60 },
  });
  try {
    const jar = await signIn(t.fx, "nobody@example.com");
    t.lane.records.length = 0;
    t.hono.records.length = 0;
    const valid = post(
      "/rpc/validateTokenSet",
      JSON.stringify({ accessToken: t.fx.emu.session({ email: "n@example.com" }).accessToken }),
    );
    const calls = [valid, valid, valid, me(jar.header()), me(jar.header()), me()];
    const replies = await both(t, calls, undefined, "no env");
    assert.deepStrictEqual(statuses(replies), [200, 200, 200, 200, 200, 401]);
    const unknown = (side: Side) => side.records.filter((r) => r.event === "peer-unknown");
    assert.deepStrictEqual(unknown(t.lane), unknown(t.hono));
    // One record a limit and request: 3 RPC calls (rateLimit), 3 of /auth/me (both).
    assert.equal(unknown(t.lane).length, 3 + 3 * 2);
    assert.equal(unknown(t.lane)[0]?.level, "error");
  } finally {
    await t.fx.close();
  }
});

test("trustedProxies: the lane keys X-Forwarded-For as the app does (and an IPv6 peer by its /64)", async () => {
  const now = 1_000_000;
  const t = await twins({
    trustedProxies: 1,
    rateLimit: { limit: 2, windowSeconds: 60, now: () => now },
    authRateLimit: { limit: 2, windowSeconds: 60, now: () => now },
  });
  try {
    const jar = await signIn(t.fx, "proxied@example.com");
    const proxy = { remoteAddr: "10.0.0.1" };
    const from = (xff: string) => me(jar.header(), { "x-forwarded-for": xff });
    const a = from("forged, 198.51.100.7");
    const a2 = from("other-forged, 198.51.100.7");
    const b = from("198.51.100.8");
    const v6 = from("2001:db8:1:2::1");
    const v6b = from("2001:db8:1:2::ffff");
    const replies = await both(t, [a, a2, a, b, v6, v6b, v6], proxy, "X-Forwarded-For");
    assert.deepStrictEqual(statuses(replies), [200, 200, 429, 200, 200, 200, 429]);
    // No header: the proxy's own address, one key for all of them.
    const bare = me(jar.header());
    const rpcs = [
      post(
        "/rpc/validateTokenSet",
        JSON.stringify({ accessToken: t.fx.emu.session({ email: "p@example.com" }).accessToken }),
        { "x-forwarded-for": "198.51.100.9" },
      ),
    ];
    const second = await both(t, [bare, bare, bare, ...rpcs, ...rpcs, ...rpcs], proxy, "proxy");
    assert.deepStrictEqual(statuses(second), [200, 200, 429, 200, 200, 429]);
  } finally {
    await t.fx.close();
  }
});

test("cloudflarePeer (the Workers runtime's reader): the lane keys CF-Connecting-IP as the app does", async () => {
  const now = 1_000_000;
  const t = await twins({
    peer: cloudflarePeer,
    rateLimit: { limit: 3, windowSeconds: 60, now: () => now },
    authRateLimit: { limit: 2, windowSeconds: 60, now: () => now },
  });
  try {
    const jar = await signIn(t.fx, "worker@example.com");
    const at = (ip: string) => me(jar.header(), { "cf-connecting-ip": ip });
    const rpc = post(
      "/rpc/validateTokenSet",
      JSON.stringify({ accessToken: t.fx.emu.session({ email: "w@example.com" }).accessToken }),
      { "cf-connecting-ip": "198.51.100.20" },
    );
    const a = at("198.51.100.20");
    const b = at("198.51.100.21");
    const replies = await both(t, [a, a, b, a, rpc, rpc], undefined, "CF-Connecting-IP");
    // a: rateLimit 1, 2, 3 (authRateLimit refuses the 3rd); the RPC calls: 4.
    assert.deepStrictEqual(statuses(replies), [200, 200, 200, 429, 429, 429]);
    const none = await both(t, [me(jar.header()), me(jar.header())], undefined, "no header");
    assert.deepStrictEqual(statuses(none), [200, 200], "not known: not counted");
  } finally {
    await t.fx.close();
  }
});

test("the lane takes its calls under the gateway's limits, and stays closed for a key function or a peer reader", async () => {
  const limit = { limit: 100, windowSeconds: 60 };
  const settings: Array<[string, Partial<GatewayOptions>, boolean]> = [
    ["rateLimit and authRateLimit", { rateLimit: limit, authRateLimit: limit }, true],
    ["trustedProxies", { rateLimit: limit, authRateLimit: limit, trustedProxies: 2 }, true],
    ["a key function", { rateLimit: { ...limit, key: () => "one" } }, false],
    ["a key function of authRateLimit", { authRateLimit: { ...limit, key: () => "one" } }, false],
    ["cloudflarePeer", { rateLimit: limit, authRateLimit: limit, peer: cloudflarePeer }, true],
    ["a peer reader", { rateLimit: limit, peer: () => "192.0.2.1" }, false],
  ];
  for (const [name, options, open] of settings) {
    const fx = await startGateway({ logger: false, ...options });
    try {
      const jar = await signIn(fx, "open@example.com");
      const s = fx.emu.session({ email: "open-rpc@example.com" });
      const env = { remoteAddr: "203.0.113.9" };
      const hono = dispatches(fx.app);
      const rpc = await fx.app.fetch(
        post("/rpc/validateTokenSet", JSON.stringify({ accessToken: s.accessToken }))(),
        env as never,
      );
      assert.equal(rpc.status, 200, name);
      await rpc.body?.cancel();
      const hit = await fx.app.fetch(me(jar.header())(), env as never);
      assert.equal(hit.status, 200, name);
      await hit.body?.cancel();
      const rpcClosed = name === "a key function of authRateLimit" ? 0 : 1;
      assert.equal(hono.count, open ? 0 : rpcClosed + 1, `${name}: Hono's dispatches`);
    } finally {
      await fx.close();
    }
  }
});

test("a deployed gateway (the runtimes' default authRateLimit) answers GET /auth/me in the lane, and refuses the 301st", async () => {
  const fx = await startGateway();
  try {
    const config = configFromEnv({
      TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
      TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
      TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
      TRUSTAUTHX_BASE_URL: fx.server.url,
      TRUSTAUTHX_WIDGET_URL: fx.server.url,
      SERVICE_KEY,
    });
    assert.equal(config.authRateLimitPerMinute, 300, "the runtimes' default");
    const { app } = await gatewayFromConfig(config, {
      store: memoryStore(),
      overrides: { telemetry: createTelemetry({ logger: false }) },
    });
    const deployed = { ...fx, app } as GatewayFixture;
    const jar = await signIn(deployed, "deployed@example.com");
    const hono = dispatches(app);
    const env = { remoteAddr: "203.0.113.77" };
    for (let i = 0; i < 300; i++) {
      const res = await app.fetch(me(jar.header())(), env as never);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    assert.equal(hono.count, 0, "every hit answered in the lane");
    const refused = await app.fetch(me(jar.header())(), env as never);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("cache-control"), "no-store");
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    await refused.body?.cancel();
    assert.equal(hono.count, 1, "the refusal is the app's");
  } finally {
    await fx.close();
  }
});
