// Adversarial: the session rate limit (authRateLimit) skips /admin/* when an
// Authorization header is present ("a wrong admin key costs no upstream
// call"). But requireAdmin() only takes a *Bearer* credential: with any other
// scheme (`Basic ...`) it falls through to the cookie session check, which
// validates and refreshes upstream. So a flood with `Authorization: Basic x`
// and distinct bogus session cookies, from one address, is never limited by
// the session limit and costs upstream calls per request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startGateway } from "./_gateway_fixture.ts";

test("adv2: /admin/* with a non-Bearer Authorization header is still session rate-limited", async () => {
  const fx = await startGateway({ authRateLimit: { limit: 3, windowSeconds: 60 } });
  try {
    fx.emu.resetRequests?.();
    const before = fx.emu.requests().total;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fx.app.request("/admin/roles", {
        headers: {
          authorization: "Basic Zm9vOmJhcg==",
          cookie: `authlite_access=bogus-access-${i}; authlite_refresh=bogus-refresh-${i}`,
        },
      }, { remoteAddr: "203.0.113.9" });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    const upstream = fx.emu.requests().total - before;
    const limited = statuses.filter((s) => s === 429).length;
    assert.ok(
      limited >= 17,
      `429s from one address past a session limit of 3: ${limited} (${statuses.join(",")}); ` +
        `upstream calls caused: ${upstream}`,
    );
    // The 3 requests let through may each cost a validate and a refresh.
    assert.ok(upstream <= 6, `upstream calls caused by 20 bogus sessions: ${upstream}`);
  } finally {
    await fx.close();
  }
});
