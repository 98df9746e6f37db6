// Adversarial review, round 5: the upstream throttles (429) or is down (503)
// and says when to come back (Retry-After). On the token-set check the gateway
// passes that wait on (bounded); on the other steps of a browser's session
// (the login callback's user read) it answered its own 5 s instead: told to
// come back sooner than the upstream asked, clients retried into the same
// throttling. Counted by the header, not timed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startGateway } from "./_gateway_fixture.ts";

const ORIGIN = "http://gw.test";

for (const status of [429, 503]) {
  test(`the login callback passes the upstream's Retry-After on (${status}, 17 s)`, async () => {
    const fx = await startGateway({ requireLoginStart: false });
    try {
      const code = fx.emu.mintCode({ email: "throttled-login@example.com" });
      fx.emu.inject({ kind: "status", status, retry_after: 17, count: 10 });
      const res = await fx.app.request(
        `${ORIGIN}/auth/callback?code=${encodeURIComponent(code)}`,
      );
      const body = await res.text();
      assert.equal(res.status, 503, body);
      assert.equal(res.headers.get("retry-after"), "17");
    } finally {
      await fx.close();
    }
  });
}
