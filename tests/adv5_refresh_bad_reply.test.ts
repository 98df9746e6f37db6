// Adversarial review, round 5: the upstream answers a browser's refresh (or
// the validation before it) with something unreadable: a 200 whose body is
// not JSON, is empty, or has the wrong shape; a redirect; a 404. None of these
// is the upstream's verdict on the session, so the promise holds: the session
// is kept (no cookie cleared), and the browser is told to come back
// (503 with Retry-After, ERR_UNAVAILABLE), as for a 5xx or a timeout. Before,
// /auth/me answered 502 (or passed the upstream's 404 on) without Retry-After:
// a client that retries 503 + Retry-After gave up, and one that takes a 4xx
// on its session as "signed out" signed the user out.
// Each refresh token is presented upstream once per request, and the next
// request, once the upstream is well, refreshes the session (200, rotated).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CookieJar, startGateway } from "./_gateway_fixture.ts";

const ORIGIN = "http://gw.test";
const REFRESH = "/api/user/me/access/token/";
const VALIDATE = "/api/user/me/auth/validate/token";

const CASES: { name: string; fault: Record<string, unknown>; refreshes: number }[] = [
  { name: "refresh: 200, not JSON", fault: { kind: "malformed", path: REFRESH }, refreshes: 1 },
  {
    name: "refresh: 200, wrong shape",
    fault: { kind: "wrong-shape", path: REFRESH },
    refreshes: 1,
  },
  {
    name: "refresh: 200, empty body",
    fault: { kind: "status", status: 200, body: "", path: REFRESH },
    refreshes: 1,
  },
  {
    name: "refresh: 200, an HTML page",
    fault: { kind: "status", status: 200, body: "<html>maintenance</html>", path: REFRESH },
    refreshes: 1,
  },
  {
    name: "refresh: a redirect",
    fault: { kind: "status", status: 302, body: "", path: REFRESH },
    refreshes: 1,
  },
  {
    name: "validate: 404",
    fault: { kind: "status", status: 404, path: VALIDATE },
    refreshes: 0,
  },
];

for (const { name, fault, refreshes } of CASES) {
  test(`a session whose upstream answer is unreadable is kept: 503 + Retry-After (${name})`, async () => {
    const fx = await startGateway({ requireLoginStart: false });
    try {
      const jar = new CookieJar();
      const code = fx.emu.mintCode({ email: "unreadable@example.com" });
      const cb = await fx.app.request(`${ORIGIN}/auth/callback?code=${encodeURIComponent(code)}`);
      assert.equal(cb.status, 302);
      jar.take(cb);
      const refreshBefore = jar.get("authlite_refresh");
      assert.ok(refreshBefore !== undefined);
      fx.advance(3600); // the access token has expired
      fx.emu.inject(fault as never);
      const before = fx.emu.requests().byPath[REFRESH] ?? 0;

      const res = await fx.app.request(`${ORIGIN}/auth/me`, {
        headers: { cookie: jar.header() },
      });
      const body = await res.json() as { error?: { code?: string } };
      assert.equal(res.status, 503, JSON.stringify(body));
      assert.equal(body.error?.code, "ERR_UNAVAILABLE");
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, "Retry-After");
      assert.deepEqual(res.headers.getSetCookie(), [], "no cookie set or cleared");
      assert.equal(
        (fx.emu.requests().byPath[REFRESH] ?? 0) - before,
        refreshes,
        "the refresh token presented at most once",
      );

      // The upstream is well again: the same cookies refresh the session.
      const again = await fx.app.request(`${ORIGIN}/auth/me`, {
        headers: { cookie: jar.header() },
      });
      assert.equal(again.status, 200);
      assert.ok(jar.take(again).includes("authlite_refresh"), "rotated");
      assert.notEqual(jar.get("authlite_refresh"), refreshBefore);
      const seen = await (await fetch(`${fx.server.url}/__emulator/refreshes`)).json() as {
        reused: number;
      };
      assert.equal(seen.reused, 0, "no refresh token presented twice");
    } finally {
      await fx.close();
    }
  });
}
