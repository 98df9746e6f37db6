// Adversarial review, round 7: the hot lane's own count of the gateway's rate
// limits (src/gateway/_limits.ts, _rate_limit.ts, _peer.ts) against Hono's
// dispatch alone (honoFetchOf()) on a twin gateway built alike on the same
// clock. The promise: each request is counted once, under the key the app
// uses, with the app's reply (429, Retry-After, headers), its telemetry and
// its `peer-unknown` log; no header a client sets moves its key, no verdict
// outlives its request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore } from "../mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { cloudflarePeer, createTelemetry, type LogRecord } from "../src/gateway/mod.ts";
import { honoFetchOf } from "../src/gateway/_lane.ts";
import { configFromEnv, gatewayFromConfig } from "../src/runtime/_config.ts";
import {
  ADMIN_KEY,
  type CookieJar,
  type GatewayFixture,
  seenReply,
  SERVICE_KEY,
  signIn,
  startGateway,
} from "./_gateway_fixture.ts";
import { runSide, type Side, type Twins, twins } from "./_lane_twins.ts";

const ORIGIN = "http://gw.test";

function post(body: string, headers: Record<string, string> = {}): () => Request {
  return () =>
    new Request(`${ORIGIN}/rpc/validateTokenSet`, {
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

function get(path: string, headers: HeadersInit = {}, method = "GET"): () => Request {
  return () => new Request(`${ORIGIN}${path}`, { method, headers });
}

/** The same calls through both sides: the replies (equal), the logs and refusals (equal). */
async function both(t: Twins, calls: (() => Request)[], env: unknown, name: string) {
  const from = t.sides.map((s) => s.records.length);
  const refusals = t.sides.map((s) => s.refused());
  const lane = await runSide(t.lane, calls, env);
  const hono = await runSide(t.hono, calls, env);
  assert.deepStrictEqual(lane, hono, `${name}: the lane's replies are Hono's`);
  const events = (s: Side) =>
    s.records.slice(from[t.sides.indexOf(s)]).map((r) => `${r.event}/${r.level}`);
  assert.deepStrictEqual(events(t.lane), events(t.hono), `${name}: the same records`);
  assert.equal(
    t.lane.refused() - refusals[0]!,
    t.hono.refused() - refusals[1]!,
    `${name}: the same refusals`,
  );
  return lane.map((r) => r.status);
}

function validBody(fx: GatewayFixture): string {
  return JSON.stringify({ accessToken: fx.emu.session({ email: "adv7@example.com" }).accessToken });
}

function hit(jar: CookieJar, headers: Record<string, string> = {}): () => Request {
  return get("/auth/me", { ...headers, cookie: jar.header() });
}

test("adv7: headers a client sets do not move its key (no trusted proxy, no reader): X-Forwarded-For, CF-Connecting-IP, X-Real-IP", async () => {
  const now = 1_000_000;
  const t = await twins({
    rateLimit: { limit: 3, windowSeconds: 60, now: () => now },
    authRateLimit: { limit: 2, windowSeconds: 60, now: () => now },
  });
  try {
    const jar = await signIn(t.fx, "spoof@example.com");
    const rpc = validBody(t.fx);
    let n = 0;
    const spoofed = () => ({
      "x-forwarded-for": `198.51.100.${++n}`,
      "cf-connecting-ip": `198.51.100.${++n}`,
      "x-real-ip": `198.51.100.${++n}`,
      forwarded: `for=198.51.100.${++n}`,
    });
    const env = { remoteAddr: "203.0.113.1" };
    const statuses = await both(
      t,
      [hit(jar, spoofed()), hit(jar, spoofed()), hit(jar, spoofed()), post(rpc, spoofed())],
      env,
      "spoofed headers",
    );
    assert.deepStrictEqual(statuses, [200, 200, 429, 429]);
    // No env at all: CF-Connecting-IP is still the client's word (no `cf`).
    const none = await both(t, [hit(jar, spoofed()), hit(jar, spoofed())], undefined, "no env");
    assert.deepStrictEqual(none, [200, 200]);
  } finally {
    await t.fx.close();
  }
});

test("adv7: the env shapes of every server key alike on both paths (Deno's info, Bun's server, node-server, zones, empty)", async () => {
  const now = 1_000_000;
  const t = await twins({
    rateLimit: { limit: 100, windowSeconds: 60, now: () => now },
    authRateLimit: { limit: 2, windowSeconds: 60, now: () => now },
  });
  try {
    const jar = await signIn(t.fx, "envs@example.com");
    const bun = (address: string | null) => ({
      requestIP: () => (address === null ? null : { address, family: "IPv4", port: 1 }),
    });
    const envs: Array<[string, unknown, number[]]> = [
      ["Deno's ServeHandlerInfo", { remoteAddr: { hostname: "203.0.113.2", port: 1 } }, [
        200,
        200,
        429,
      ]],
      ["Bun's server", bun("203.0.113.3"), [200, 200, 429]],
      ["Bun's server under `server`", { server: bun("203.0.113.4") }, [200, 200, 429]],
      ["Bun's server, no address", bun(null), [200, 200, 200]],
      ["node-server", { incoming: { socket: { remoteAddress: "203.0.113.5" } } }, [200, 200, 429]],
      ["IPv6 with a zone", { remoteAddr: "fe80::1%eth0" }, [200, 200, 429]],
      ["IPv4-mapped", { remoteAddr: "::ffff:203.0.113.6" }, [200, 200, 429]],
      ["empty remoteAddr", { remoteAddr: "" }, [200, 200, 200]],
      ["no remoteAddr", {}, [200, 200, 200]],
      ["a number", 7, [200, 200, 200]],
      ["a throwing requestIP", { requestIP: () => ({}) }, [200, 200, 200]],
    ];
    for (const [name, env, expected] of envs) {
      assert.deepStrictEqual(await both(t, [hit(jar), hit(jar), hit(jar)], env, name), expected);
    }
    // The zone and the mapping are the key's form only: the same client.
    const s = await both(t, [hit(jar)], { remoteAddr: "fe80::1%eth1" }, "another zone");
    assert.deepStrictEqual(s, [429]);
    const m = await both(t, [hit(jar)], { remoteAddr: "203.0.113.6" }, "unmapped");
    assert.deepStrictEqual(m, [429]);
  } finally {
    await t.fx.close();
  }
});

test("adv7: trustedProxies 1 and 2 under several X-Forwarded-For lines, garbage and IPv6 forms: the same key on both paths", async () => {
  const now = 1_000_000;
  for (const trustedProxies of [1, 2]) {
    const t = await twins({
      trustedProxies,
      rateLimit: { limit: 100, windowSeconds: 60, now: () => now },
      authRateLimit: { limit: 2, windowSeconds: 60, now: () => now },
    });
    try {
      const jar = await signIn(t.fx, `xff${trustedProxies}@example.com`);
      const env = { remoteAddr: "10.0.0.1" };
      const lines = (...values: string[]) => {
        const h = new Headers({ cookie: jar.header() });
        for (const v of values) h.append("x-forwarded-for", v);
        return get("/auth/me", h);
      };
      // The client's own entries on the left change; the proxies' do not.
      const a = (forged: string) => lines(forged, "198.51.100.1, 10.0.0.2");
      const name = `trustedProxies ${trustedProxies}`;
      const first = await both(t, [a("x"), a("1.1.1.1, 2.2.2.2"), a(",,,")], env, name);
      assert.deepStrictEqual(first, trustedProxies === 1 ? [200, 200, 429] : [200, 200, 429]);
      const garbage = [
        lines("   ,  ,"),
        lines("not an address"),
        lines("[2001:DB8:0:1::1]"),
        lines("2001:db8:0:1:ffff::9"),
        lines("2001:0db8:0000:0001::1"),
      ];
      const replies = await both(t, garbage, env, `${name}: garbage and IPv6`);
      assert.equal(replies.length, 5);
    } finally {
      await t.fx.close();
    }
  }
});

test("adv7: one Request object sent twice (app.fetch, app.request): counted twice, the same replies, no verdict left over", async () => {
  const now = 1_000_000;
  const t = await twins({
    rateLimit: { limit: 3, windowSeconds: 60, now: () => now },
    authRateLimit: { limit: 2, windowSeconds: 60, now: () => now },
  });
  try {
    const jar = await signIn(t.fx, "twice@example.com");
    const rpc = validBody(t.fx);
    const env = { remoteAddr: "203.0.113.20" };
    const results = [];
    for (const side of t.sides) {
      const meR = hit(jar)();
      const rpcR = post(rpc)();
      const out = [];
      for (const r of [meR, meR, meR, rpcR, rpcR]) {
        out.push(await seenReply(await side.fetch(r, env)));
      }
      results.push(out);
    }
    assert.deepStrictEqual(results[0], results[1]);
    assert.deepStrictEqual(results[0]!.map((r) => r.status), [200, 200, 429, 429, 429]);
    // A refused request sent again once the window is over: counted again, allowed.
    const later = { remoteAddr: "203.0.113.21" };
    const out = [];
    for (const side of t.sides) {
      const r = hit(jar)();
      const seen = [];
      for (let i = 0; i < 3; i++) seen.push((await side.fetch(r, later)).status);
      out.push(seen);
    }
    assert.deepStrictEqual(out, [[200, 200, 429], [200, 200, 429]]);
    // app.request() of the same Request goes through the lane as well.
    const r = hit(jar)();
    const third = { remoteAddr: "203.0.113.22" };
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await t.fx.app.request(r, undefined, third as never)).status);
    }
    assert.deepStrictEqual(statuses, [200, 200, 429]);
  } finally {
    await t.fx.close();
  }
});

test("adv7: HEAD /auth/me, /auth/me with an Authorization header, /admin/* with and without Bearer share the session limit alike", async () => {
  const now = 1_000_000;
  const t = await twins({
    rateLimit: { limit: 100, windowSeconds: 60, now: () => now },
    authRateLimit: { limit: 3, windowSeconds: 60, now: () => now },
  });
  try {
    const jar = await signIn(t.fx, "mixed@example.com");
    const env = { remoteAddr: "203.0.113.30" };
    const head = get("/auth/me", { cookie: jar.header() }, "HEAD");
    const bearer = hit(jar, { authorization: `Bearer ${SERVICE_KEY}` });
    const basic = hit(jar, { authorization: "Basic Zm9vOmJhcg==" });
    const s1 = await both(t, [head, bearer, basic, hit(jar)], env, "HEAD, Bearer, Basic");
    assert.deepStrictEqual(s1, [200, 200, 200, 429]);
    const env2 = { remoteAddr: "203.0.113.31" };
    const admin = get("/admin/status", { authorization: `Bearer ${ADMIN_KEY}` });
    const adminWrong = get("/admin/status", { authorization: "Bearer wrong-key-000000000000" });
    const adminCookie = get("/admin/status", { cookie: jar.header() });
    const s2 = await both(
      t,
      [admin, adminWrong, admin, hit(jar), adminCookie, hit(jar), adminCookie, hit(jar)],
      env2,
      "admin",
    );
    // Bearer calls are not session calls: the 3 of the session limit are
    // hit, adminCookie, hit; then both are refused.
    assert.equal(s2[0], 200);
    assert.equal(s2[1], 401);
    assert.deepStrictEqual(s2.slice(3), [200, s2[4]!, 200, 429, 429]);
  } finally {
    await t.fx.close();
  }
});

test("adv7: the window's edge, maxKeys eviction and a flood of keys: the same verdicts on both paths", async () => {
  let now = 1_000_000;
  const clock = () => now;
  const t = await twins({
    rateLimit: { limit: 3, windowSeconds: 60, now: clock, maxKeys: 4 },
    authRateLimit: { limit: 2, windowSeconds: 60, now: clock, maxKeys: 3 },
  });
  try {
    const jar = await signIn(t.fx, "edge@example.com");
    const rpc = validBody(t.fx);
    const at = (ip: string) => ({ remoteAddr: ip });
    const results: number[][] = [];
    const step = async (calls: (() => Request)[], ip: string, name: string) => {
      results.push(await both(t, calls, at(ip), name));
    };
    now = 1_000_000;
    await step([hit(jar), hit(jar), hit(jar)], "192.0.2.1", "a: refused");
    now = 1_059_999;
    await step([hit(jar)], "192.0.2.1", "a: 1 ms before the edge");
    now = 1_060_000;
    await step([hit(jar), hit(jar), hit(jar)], "192.0.2.1", "a: at the edge");
    // A flood of new keys evicts the open ones, never the blocked one.
    for (let i = 0; i < 12; i++) {
      await step([i % 2 === 0 ? hit(jar) : post(rpc)], `192.0.2.${100 + i}`, `flood ${i}`);
    }
    await step([hit(jar)], "192.0.2.1", "a: still blocked after the flood");
    now = 1_120_000;
    await step([hit(jar), post(rpc), post(rpc), post(rpc)], "192.0.2.1", "a: a new window");
    assert.deepStrictEqual(results.slice(0, 3), [[200, 200, 429], [429], [200, 200, 429]]);
    assert.deepStrictEqual(results.at(-2), [429]);
    assert.deepStrictEqual(results.at(-1), [200, 200, 200, 429]);
  } finally {
    await t.fx.close();
  }
});

test("adv7: cloudflarePeer and trustedProxies: a forged X-Forwarded-For left of Cloudflare's hop keys alike", async () => {
  const now = 1_000_000;
  const t = await twins({
    peer: cloudflarePeer,
    trustedProxies: 1,
    rateLimit: { limit: 100, windowSeconds: 60, now: () => now },
    authRateLimit: { limit: 2, windowSeconds: 60, now: () => now },
  });
  try {
    const jar = await signIn(t.fx, "cfxff@example.com");
    const call = (xff: string) =>
      hit(jar, { "cf-connecting-ip": "198.51.100.60", "x-forwarded-for": xff });
    const s = await both(
      t,
      [call("1.1.1.1, 198.51.100.60"), call("2.2.2.2, 198.51.100.60"), call("198.51.100.60")],
      { remoteAddr: "203.0.113.99" },
      "cf + xff",
    );
    assert.deepStrictEqual(s, [200, 200, 429]);
  } finally {
    await t.fx.close();
  }
});

async function deployed(fx: GatewayFixture) {
  const config = configFromEnv({
    TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
    TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
    TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
    TRUSTAUTHX_BASE_URL: fx.server.url,
    TRUSTAUTHX_WIDGET_URL: fx.server.url,
    SERVICE_KEY,
  });
  const records: LogRecord[] = [];
  const { app } = await gatewayFromConfig(config, {
    store: memoryStore(),
    overrides: { telemetry: createTelemetry({ logger: (r) => records.push(r) }) },
  });
  return { app, records };
}

test("adv7: a deployed gateway under a burst from one peer: the 301st /auth/me is 429 through the lane and through Hono alone", async () => {
  const fx = await startGateway();
  try {
    const out = [];
    for (const side of ["lane", "hono"] as const) {
      const { app } = await deployed(fx);
      const jar = await signIn({ ...fx, app } as GatewayFixture, `burst-${side}@example.com`);
      const fetch = side === "lane" ? app.fetch : honoFetchOf(app);
      const env = { remoteAddr: "203.0.113.77" };
      let ok = 0;
      for (let i = 0; i < 300; i++) {
        const res = await fetch(hit(jar)(), env as never);
        if (res.status === 200) ok++;
        await res.body?.cancel();
      }
      const refused = await fetch(hit(jar)(), env as never);
      const other = await fetch(hit(jar)(), { remoteAddr: "203.0.113.78" } as never);
      out.push({
        ok,
        refused: refused.status,
        cache: refused.headers.get("cache-control"),
        retry: Number(refused.headers.get("retry-after")) >= 1,
        other: other.status,
      });
      await refused.body?.cancel();
      await other.body?.cancel();
    }
    assert.deepStrictEqual(out[0], out[1]);
    assert.deepStrictEqual(out[0], {
      ok: 300,
      refused: 429,
      cache: "no-store",
      retry: true,
      other: 200,
    });
  } finally {
    await fx.close();
  }
});

test("adv7: a proxy that writes the client's port into X-Forwarded-For: one client, whatever its port (no escape), and not every IPv4 client as one (no burn)", async () => {
  const now = 1_000_000;
  const t = await twins({
    trustedProxies: 1,
    rateLimit: { limit: 100, windowSeconds: 60, now: () => now },
    authRateLimit: { limit: 2, windowSeconds: 60, now: () => now },
  });
  try {
    const jar = await signIn(t.fx, "ports@example.com");
    const env = { remoteAddr: "10.0.0.1" };
    const from = (xff: string) => hit(jar, { "x-forwarded-for": xff });
    // A new connection, a new source port: still the same client.
    const v4 = await both(
      t,
      [from("198.51.100.7:50001"), from("198.51.100.7:50002"), from("198.51.100.7:50003")],
      env,
      "IPv4 with a port",
    );
    assert.deepStrictEqual(v4, [200, 200, 429]);
    const v6 = await both(
      t,
      [from("[2001:db8:1:2::1]:443"), from("[2001:db8:1:2::2]:444"), from("2001:db8:1:2::3")],
      env,
      "IPv6 in brackets with a port",
    );
    assert.deepStrictEqual(v6, [200, 200, 429]);
    // IPv4-mapped forms (with a port, or in hex as a URL writes them): each
    // client its own, not one key for all of IPv4.
    const mapped = await both(
      t,
      [
        from("[::ffff:198.51.100.8]:80"),
        from("[::ffff:198.51.100.8]:81"),
        from("[::ffff:198.51.100.9]:80"),
        from("::ffff:c633:640a"), // 198.51.100.10
        from("::ffff:c633:640b"), // 198.51.100.11
        from("198.51.100.11"),
        from("[::ffff:c633:640b]:9"),
      ],
      env,
      "IPv4-mapped",
    );
    assert.deepStrictEqual(mapped, [200, 200, 200, 200, 200, 200, 429]);
  } finally {
    await t.fx.close();
  }
});
