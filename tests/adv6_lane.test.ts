// Adversarial review, round 6: the gateway's hot lane (src/gateway/_lane.ts)
// against the Hono app it stands in front of (honoFetchOf()). The promise: for
// every request the lane's reply is the app's (status, headers, body), and no
// guarantee is lost. Each request is built twice (a body is read once), with
// its Content-Length declared as a server passes it: without one the lane
// hands an RPC call to the app, and the comparison would be the app's with
// itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { honoFetchOf } from "../src/gateway/_lane.ts";
import { CookieJar, type GatewayFixture, SERVICE_KEY, startGateway } from "./_gateway_fixture.ts";

const ORIGIN = "http://gw.test";

/** URL reads of the requests built by call(): the lane reads it once, Hono's dispatch again. */
let urlReads = 0;

/** A request that counts the reads of its URL. */
class Counted extends Request {
  override get url(): string {
    urlReads++;
    return super.url;
  }
}

/** An RPC call as a server hands it over: credential, JSON, declared length. */
function call(path: string, body: string): Request {
  return new Counted(`${ORIGIN}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${SERVICE_KEY}`,
      "content-type": "application/json",
      "content-length": String(new TextEncoder().encode(body).length),
    },
    body,
  });
}

/** A reply as compared: status, headers (in order), body; or what was thrown. */
async function replyOf(answer: () => Response | Promise<Response>) {
  try {
    const res = await answer();
    return { status: res.status, headers: [...res.headers], body: await res.text() };
  } catch (err) {
    return { thrown: String(err) };
  }
}

/** The lane's reply and the app's alone, for the same request. */
async function both(fx: GatewayFixture, make: () => Request) {
  const lane = await replyOf(() => fx.app.fetch(make()));
  const app = await replyOf(() => honoFetchOf(fx.app)(make()));
  return { lane, app };
}

test("adv6: the lane is open in these tests' gateway: it answers a valid call without Hono's dispatch", async () => {
  const fx = await startGateway();
  try {
    urlReads = 0;
    const res = await fx.app.fetch(call("/rpc/validateAccessToken", '{"accessToken":"a"}'));
    assert.equal(res.status, 200);
    assert.equal(urlReads, 1, "Hono never read the request's URL");
    urlReads = 0;
    await honoFetchOf(fx.app)(call("/rpc/validateAccessToken", '{"accessToken":"a"}'));
    assert.ok(urlReads >= 1, "Hono reads it");
  } finally {
    await fx.close();
  }
});

test("adv6: a deeply nested body the fast check refuses gets the app's 400, not a thrown RangeError", async () => {
  const fx = await startGateway();
  try {
    for (
      const body of [
        "[".repeat(5000) + "]".repeat(5000), // 10 kB, under the default limit
        '{"a":'.repeat(5000) + "1" + "}".repeat(5000),
        '{"accessToken":' + "[".repeat(5000) + "]".repeat(5000) + "}",
      ]
    ) {
      const { lane, app } = await both(fx, () => call("/rpc/validateTokenSet", body));
      assert.equal((app as { status?: number }).status, 400, JSON.stringify(app).slice(0, 300));
      assert.deepEqual(lane, app, body.slice(0, 40));
    }
  } finally {
    await fx.close();
  }
});

test("adv6: a number past JSON's range in a refused body: zod's message of it (Infinity), as the app says", async () => {
  const fx = await startGateway();
  try {
    for (
      const body of [
        '{"accessToken":1e400}',
        '{"accessToken":-1e400}',
        '{"accessToken":"a","refreshToken":1e999}',
        '{"accessToken":[1e400]}',
      ]
    ) {
      const { lane, app } = await both(fx, () => call("/rpc/validateTokenSet", body));
      assert.equal((app as { status?: number }).status, 400);
      assert.deepEqual(lane, app, body);
    }
  } finally {
    await fx.close();
  }
});

test("adv6: an error handler set on the gateway after it was built answers an operation's error in the lane too", async () => {
  const fx = await startGateway();
  try {
    const seen: string[] = [];
    fx.app.onError((err, c) => {
      seen.push(err.message);
      return c.json({ mine: true }, 502);
    });
    const body = JSON.stringify({ accessToken: "a" });
    const replies = [];
    for (const fetch of [fx.app.fetch, honoFetchOf(fx.app)]) {
      fx.emu.inject({ kind: "status", status: 503, retry_after: 7, count: 1 });
      replies.push(await replyOf(() => fetch(call("/rpc/validateAccessToken", body))));
    }
    const [lane, app] = replies;
    assert.equal((app as { status?: number }).status, 502, "the app answers with the handler");
    assert.deepEqual(lane, app);
    assert.equal(seen.length, 2, "the handler saw both errors");
  } finally {
    await fx.close();
  }
});

test("adv6: a session resolver that throws on GET /auth/me is met once: the app's 500, no second resolution", async () => {
  const replies = [];
  const calls: number[] = [];
  for (const side of ["lane", "app"] as const) {
    const fx = await startGateway({ requireLoginStart: false });
    try {
      const jar = new CookieJar();
      const code = fx.emu.mintCode({ email: "thrown@example.com" });
      jar.take(await fx.app.request(`${ORIGIN}/auth/callback?code=${encodeURIComponent(code)}`));
      fx.advance(3700); // the access token has expired: this request refreshes
      // A bug (not an AuthLiteError) once the refresh was presented upstream.
      const client = fx.client as unknown as {
        validateTokenSet: (...args: unknown[]) => Promise<unknown>;
      };
      const validate = client.validateTokenSet.bind(fx.client);
      let n = 0;
      client.validateTokenSet = async (...args) => {
        n++;
        await validate(...args);
        throw new TypeError("a bug after the refresh");
      };
      const fetch = side === "lane" ? fx.app.fetch : honoFetchOf(fx.app);
      const reply = await replyOf(() =>
        fetch(new Request(`${ORIGIN}/auth/me`, { headers: { cookie: jar.header() } }))
      );
      replies.push(reply);
      calls.push(n);
    } finally {
      await fx.close();
    }
  }
  const [lane, app] = replies;
  assert.equal((app as { status?: number }).status, 500);
  assert.deepEqual(lane, app);
  assert.deepEqual(calls, [1, 1], "the session resolved once on each side");
});
