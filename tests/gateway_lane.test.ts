// The gateway's hot lane (src/gateway/_lane.ts) against Hono's dispatch it
// stands in front of: every reply through the lane is byte for byte the
// app's, over valid, hostile and refused calls and upstream failures; the
// lane takes the hot calls, and stays closed while a layer of the app would
// add to them; a session it hands on is not resolved (or refreshed) twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { honoFetchOf } from "../src/gateway/_lane.ts";
import {
  ADMIN_KEY,
  type GatewayFixture,
  seenReply,
  SERVICE_KEY,
  signIn,
  startGateway,
} from "./_gateway_fixture.ts";

const ORIGIN = "http://gw.test";

/** A request as it comes off a socket: a declared length with the body. */
function post(
  path: string,
  body: string | undefined,
  headers: Record<string, string | undefined> = {},
): () => Request {
  return () => {
    const all: Record<string, string> = {};
    if (body !== undefined) all["content-length"] = String(new TextEncoder().encode(body).length);
    all["content-type"] = "application/json";
    all["authorization"] = `Bearer ${SERVICE_KEY}`;
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) delete all[k];
      else all[k] = v;
    }
    return new Request(`${ORIGIN}${path}`, {
      method: "POST",
      headers: all,
      ...(body === undefined ? {} : { body }),
    });
  };
}

/** The same request through the lane and through Hono alone. */
async function both(fx: GatewayFixture, make: () => Request) {
  const lane = await seenReply(await fx.app.fetch(make()));
  const hono = await seenReply(await honoFetchOf(fx.app)(make()));
  return { lane, hono };
}

/** A request whose body the lane reads with `json()`: counts the reads. */
class Probe extends Request {
  static reads = 0;
  override json(): Promise<unknown> {
    Probe.reads++;
    return super.json();
  }
}

test("the lane answers RPC calls byte for byte as Hono's dispatch, valid, hostile or refused", async () => {
  const fx = await startGateway();
  try {
    const s = fx.emu.session({ email: "lane@example.com" });
    const pair = JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken });
    const access = JSON.stringify({ accessToken: s.accessToken });
    const v = "/rpc/validateTokenSet";
    const cases: Array<[string, () => Request]> = [
      ["valid", post(v, pair)],
      ["valid, access only", post(v, access)],
      ["validateAccessToken", post("/rpc/validateAccessToken", access)],
      ["charset", post(v, pair, { "content-type": "application/json; charset=utf-8" })],
      ["no credential", post(v, pair, { authorization: undefined })],
      ["wrong credential", post(v, pair, { authorization: "Bearer nope-nope-nope" })],
      ["admin key", post(v, pair, { authorization: `Bearer ${ADMIN_KEY}` })],
      ["lower-case bearer", post(v, pair, { authorization: `bearer ${SERVICE_KEY}` })],
      ["text/plain", post(v, pair, { "content-type": "text/plain" })],
      ["no media type", post(v, pair, { "content-type": undefined })],
      ["form", post(v, "accessToken=a", { "content-type": "application/x-www-form-urlencoded" })],
      ["no length", post(v, pair, { "content-length": undefined })],
      ["length over the limit", post(v, pair, { "content-length": String(64 * 1024 + 1) })],
      ["length not a number", post(v, pair, { "content-length": "abc" })],
      ["chunked", post(v, pair, { "transfer-encoding": "chunked" })],
      ["malformed", post(v, '{"accessToken": "a"')],
      ["empty", post(v, "")],
      ["not JSON", post(v, "nul")],
      ["null", post(v, "null")],
      ["array", post(v, "[]")],
      ["missing field", post(v, "{}")],
      ["empty token", post(v, '{"accessToken":""}')],
      ["too long", post(v, JSON.stringify({ accessToken: "x".repeat(8193) }))],
      ["number", post(v, '{"accessToken":1}')],
      ["infinite number", post(v, '{"accessToken":1e400}')],
      ["negative infinite", post(v, '{"accessToken":"a","refreshToken":-1e999}')],
      ["null refresh", post(v, '{"accessToken":"a","refreshToken":null}')],
      ["__proto__", post(v, '{"__proto__":{"accessToken":"a"}}')],
      [
        "duplicate key",
        post(v, `{"accessToken":"","accessToken":${JSON.stringify(s.accessToken)}}`),
      ],
      ["BOM", post(v, `\ufeff${pair}`)],
      ["lone surrogate", post(v, '{"accessToken":"\\ud800"}')],
      ["a bad token", post(v, '{"accessToken":"not.a.token"}')],
      ["query string", post(`${v}?x=1`, pair)],
      ["trailing slash", post(`${v}/`, pair)],
      ["escaped path", post("/rpc/%76alidateTokenSet", pair)],
      ["double slash", post(`/${v}`, pair)],
      ["upper case", post("/RPC/validateTokenSet", pair)],
      ["unknown operation", post("/rpc/nope", pair)],
    ];
    for (const [name, make] of cases) {
      const { lane, hono } = await both(fx, make);
      assert.deepStrictEqual(lane, hono, name);
    }
    // Not only refusals: the valid calls answered 200.
    assert.equal((await both(fx, cases[0]![1])).lane.status, 200);
    const get = () =>
      new Request(`${ORIGIN}${v}`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } });
    const { lane, hono } = await both(fx, get);
    assert.deepStrictEqual(lane, hono, "GET");
  } finally {
    await fx.close();
  }
});

test("the lane answers an upstream failure and a redacted error as the app does", async () => {
  const fx = await startGateway();
  try {
    const s = fx.emu.session({ email: "fail@example.com" });
    const call = post("/rpc/getUserData", JSON.stringify({ accessToken: s.accessToken }));
    const path = "/api/user/me/data";
    const faults: Record<string, unknown>[] = [
      { kind: "status", status: 503, path, retry_after: 7 },
      { kind: "status", status: 500, path },
      { kind: "status", status: 429, path, retry_after: 9 },
      { kind: "status", status: 403, path },
      { kind: "reset", path },
      { kind: "malformed", path },
      // The upstream echoes a secret: both replies leave it out.
      {
        kind: "status",
        status: 500,
        path,
        body: `key ${DEMO_ORG.apiKey} ${SERVICE_KEY}`,
      },
    ];
    for (const fault of faults) {
      fx.emu.inject(fault as never);
      const lane = await seenReply(await fx.app.fetch(call()));
      fx.emu.inject(fault as never);
      const hono = await seenReply(await honoFetchOf(fx.app)(call()));
      assert.deepStrictEqual(lane, hono, JSON.stringify(fault));
      assert.ok(lane.status >= 400, JSON.stringify(fault));
      assert.ok(!lane.body.includes(DEMO_ORG.apiKey) && !lane.body.includes(SERVICE_KEY));
      // A success between two cases: outages in a row would open the breaker.
      const ok = await fx.app.fetch(call());
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
    }
  } finally {
    await fx.close();
  }
});

test("the lane takes the hot calls, and is closed while CORS, a rate limit it cannot count, Server-Timing or an onError of the app's own is on", async () => {
  const s = { accessToken: "", refreshToken: "" };
  const probe = (fx: GatewayFixture) => {
    const session = fx.emu.session({ email: "probe@example.com" });
    s.accessToken = session.accessToken;
    s.refreshToken = session.refreshToken;
    const body = JSON.stringify(s);
    const make = post("/rpc/validateTokenSet", body);
    return new Probe(make());
  };
  const settings: Array<[string, Parameters<typeof startGateway>[0], number]> = [
    ["default", {}, 1],
    ["cors", { cors: ["https://app.example"] }, 0],
    // The lane counts the gateway's limits itself (tests/gateway_lane_limits),
    // but not with a key function of the caller's (it reads a Hono context).
    ["rateLimit", { rateLimit: { limit: 1000, windowSeconds: 60 } }, 1],
    ["rateLimit keyed by a function", {
      rateLimit: { limit: 1000, windowSeconds: 60, key: () => "one" },
    }, 0],
    ["serverTiming", { serverTiming: true }, 0],
    ["first request's check", { ready: { checkOnFirstRequest: true } }, 0],
  ];
  for (const [name, options, reads] of [...settings, ["onError of its own", {}, 0] as const]) {
    const fx = await startGateway(options);
    if (name === "onError of its own") {
      fx.app.onError((err, c) => c.json({ mine: err.message }, 500));
    }
    try {
      Probe.reads = 0;
      const res = await fx.app.fetch(probe(fx));
      assert.equal(res.status, 200, name);
      await res.body?.cancel();
      assert.equal(Probe.reads, reads, `${name}: json() read by the lane`);
    } finally {
      await fx.close();
    }
  }
});

test("GET /auth/me through the lane is the app's reply: a hit, no session, a bad cookie", async () => {
  const me = (cookie: string | undefined, query = "") => () =>
    new Request(`${ORIGIN}/auth/me${query}`, cookie === undefined ? {} : { headers: { cookie } });
  const fx = await startGateway();
  try {
    const jar = await signIn(fx, "me@example.com");
    const profile = jar.get("authlite_profile") ?? "";
    // A hit changes nothing: both paths on one gateway.
    const cases: Array<[string, () => Request]> = [
      ["signed in", me(jar.header())],
      ["query string", me(jar.header(), "?x=1")],
      ["profile of another", me(`${jar.header()}; authlite_profile=${profile.slice(0, -2)}zz`)],
    ];
    for (const [name, make] of cases) {
      const { lane, hono } = await both(fx, make);
      assert.deepStrictEqual(lane, hono, name);
    }
    assert.equal((await both(fx, cases[0]![1])).lane.status, 200);
  } finally {
    await fx.close();
  }
  // A refusal is remembered: each path on a gateway of its own.
  const refusals: Array<[string, () => Request]> = [
    ["no cookie", me(undefined)],
    ["garbage", me("authlite_access=x; authlite_refresh=y")],
    ["refresh only", me("authlite_refresh=y")],
  ];
  for (const [name, make] of refusals) {
    const [a, b] = [await startGateway(), await startGateway()];
    try {
      const lane = await seenReply(await a.app.fetch(make()));
      const hono = await seenReply(await honoFetchOf(b.app)(make()));
      assert.deepStrictEqual(lane, hono, name);
      assert.equal(lane.status, 401, name);
    } finally {
      await a.close();
      await b.close();
    }
  }
});

test("GET /auth/me that refreshes goes on to the route with what the lane found: one refresh upstream", async () => {
  const fx = await startGateway();
  try {
    const lane = await signIn(fx, "lane-refresh@example.com");
    const hono = await signIn(fx, "hono-refresh@example.com");
    fx.advance(3700); // past the access tokens' expiry
    const replies = [];
    for (
      const [jar, fetch] of [[lane, fx.app.fetch], [hono, honoFetchOf(fx.app)]] as const
    ) {
      fx.emu.resetRequests();
      const res = await fetch(
        new Request(`${ORIGIN}/auth/me`, { headers: { cookie: jar.header() } }),
      );
      const names = jar.take(res).sort();
      const body = await res.json();
      replies.push({ status: res.status, names, refreshed: body.session.refreshed });
      assert.equal(
        fx.emu.requests().byPath["/api/user/me/access/token/"] ?? 0,
        1,
        "one refresh upstream",
      );
    }
    assert.deepStrictEqual(replies[0], replies[1]);
    assert.deepStrictEqual(replies[0], {
      status: 200,
      names: ["authlite_access", "authlite_profile", "authlite_refresh"],
      refreshed: true,
    });
  } finally {
    await fx.close();
  }
});
