// Adversarial: the upstream's Retry-After is passed through to our callers
// unbounded. A 429 from TrustAuthX throttles the organisation's key, not the
// browser; yet "Retry-After: 86400" on a refresh becomes the gateway's own
// 503 "Retry-After: 86400" (a day), and an absurd value (1e23 seconds, which
// a proxy in front of the upstream may send) becomes "1e+23", not a valid
// delay-seconds at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteUnavailableError } from "../src/errors.ts";
import { startGateway } from "./_gateway_fixture.ts";

/** The bound of a Retry-After we answer, in seconds. */
const MAX_RETRY_AFTER = 300;

test("adv2: an upstream's day-long Retry-After is bounded in the gateway's 503", async () => {
  const fx = await startGateway();
  try {
    const s = fx.emu.session({ email: "throttled@example.com" });
    fx.advance(3700); // the access token has expired: the request refreshes
    fx.emu.inject({
      kind: "status",
      path: "/api/user/me/access/token",
      status: 429,
      retry_after: 86400,
      count: 10,
    });
    const res = await fx.app.request("/auth/me", {
      headers: { cookie: `authlite_access=${s.accessToken}; authlite_refresh=${s.refreshToken}` },
    }, { remoteAddr: "203.0.113.1" });
    await res.body?.cancel();
    assert.equal(res.status, 503);
    assert.equal(fx.emu.requests().byPath["/api/user/me/access/token/"], 1, "the refresh was sent");
    const header = res.headers.get("retry-after") ?? "";
    assert.match(header, /^\d+$/);
    assert.ok(Number(header) >= 1 && Number(header) <= MAX_RETRY_AFTER, `Retry-After: ${header}`);
  } finally {
    await fx.close();
  }
});

test("adv2: AuthLiteUnavailableError's retryAfterSeconds is a bounded whole number", () => {
  for (const asked of [1e23, Infinity, NaN, -5, 0.2]) {
    const s = new AuthLiteUnavailableError("upstream", "x", asked).retryAfterSeconds;
    assert.ok(
      Number.isInteger(s) && s >= 1 && s <= MAX_RETRY_AFTER,
      `retryAfterSeconds for ${asked}: ${s}`,
    );
  }
});
