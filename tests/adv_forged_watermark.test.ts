// Adversarial: `POST /auth/logout {"all": true}` revokes upstream with the
// access token alone (revokeAllTokens sends one call), yet the token cache's
// forget() derives the users to put a watermark on from the `sub` of *every*
// token given, the refresh cookie included, whose JWT payload is never
// verified. Any account holder (even with a dead access token: a revoke of a
// revoked token is still "revoked") sends a forged refresh cookie naming
// another user and writes a "signed out everywhere" watermark for that user:
// the victim's cached sessions are refused on every instance (each of their
// requests goes upstream again), and the victim's grace window closes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CookieJar, startGateway } from "./_gateway_fixture.ts";

const VALIDATE = "/api/user/me/auth/validate/token";

function b64url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

test("adv: a logout with a forged refresh cookie writes no watermark for another user", async () => {
  const f = await startGateway();
  try {
    const victim = f.emu.session({ email: "victim@example.com" });
    const mallory = f.emu.session({ email: "mallory@example.com" });
    const victimCookies =
      `authlite_access=${victim.accessToken}; authlite_refresh=${victim.refreshToken}`;
    const me = () => f.app.request("/auth/me", { headers: { cookie: victimCookies } });
    assert.equal((await me()).status, 200);
    assert.equal((await me()).status, 200);
    const validations = () => f.emu.requests().byPath[VALIDATE] ?? 0;
    const before = validations();
    assert.equal((await me()).status, 200);
    assert.equal(validations(), before, "the victim's session is cached");

    // Mallory logs out "everywhere" with her own access token and a refresh
    // cookie that is a JWT-looking string naming the victim (never signed).
    const forged = `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ sub: victim.uid }))}.x`;
    for (let i = 0; i < 2; i++) {
      const res = await f.app.request("/auth/logout", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          cookie: `authlite_access=${mallory.accessToken}; authlite_refresh=${forged}`,
        },
        body: JSON.stringify({ all: true }),
      });
      new CookieJar().take(res);
      // Repeatable: Mallory's access token is dead after the first, and still "revoked".
      assert.deepEqual(await res.json(), { ok: true, revoked: true });
    }

    const after = validations();
    assert.equal((await me()).status, 200);
    assert.equal(
      validations() - after,
      0,
      "another user's logout made the victim's cached session go upstream again",
    );
  } finally {
    await f.close();
  }
});

test("adv: a forged watermark logs the victim out of a request racing a refresh", async () => {
  const f = await startGateway();
  try {
    const victim = f.emu.session({ email: "victim@example.com" });
    const mallory = f.emu.session({ email: "mallory@example.com" });
    const oldCookies =
      `authlite_access=${victim.accessToken}; authlite_refresh=${victim.refreshToken}`;
    f.advance(3601); // the access token expires
    // The victim's first request refreshes the session.
    const first = await f.app.request("/auth/me", { headers: { cookie: oldCookies } });
    assert.equal(first.status, 200);
    assert.equal((await first.json()).session.refreshed, true);

    const forged = `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ sub: victim.uid }))}.x`;
    const res = await f.app.request("/auth/logout", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: `authlite_access=${mallory.accessToken}; authlite_refresh=${forged}`,
      },
      body: JSON.stringify({ all: true }),
    });
    assert.equal(res.status, 200);

    // Another of the victim's requests, sent with the cookies of before the
    // refresh (another tab, a request in flight): the grace window gives it
    // the new pair.
    const second = await f.app.request("/auth/me", { headers: { cookie: oldCookies } });
    const body = await second.text();
    assert.equal(second.status, 200, `the victim was logged out: ${body}`);
  } finally {
    await f.close();
  }
});
