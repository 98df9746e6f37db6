// Adversarial: a role change with sign-off (`signoffSessionAndAssign`)
// revokes every session of the user upstream, but the client's token cache
// is not told: the old, revoked access token stays "valid" in the cache on
// every instance sharing the store, until its entry expires (ttlSeconds).
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore } from "../src/cache/mod.ts";
import { startEmulator } from "./_client_helpers.ts";

test("adv: a sign-off role change ends the old session in the token cache", async () => {
  const store = memoryStore();
  const env = await startEmulator({ client: { tokenCache: store } });
  try {
    const role = env.emu.seedRole({ name: "admin", permissions: [{ admin: "yes" }] });
    env.emu.seedUser({ email: "eve@example.com", roles: [role.rol_id] });
    const old = env.emu.session({ email: "eve@example.com" });
    // Another instance sharing the store, without an in-process layer (so
    // that no wall-clock recheck interval is involved).
    const other = env.makeClient({ tokenCache: store, tokenCacheOptions: { memoryLayer: false } });
    assert.equal(await env.client.validateAccessToken(old.accessToken), true);
    assert.equal(await other.validateAccessToken(old.accessToken), true);

    // Demote with sign-off: upstream revokes all of the user's sessions.
    const out = await env.client.removeRole(old.uid, role.rol_id, {
      signoffSessionAndAssign: true,
      accessToken: old.accessToken,
      refreshToken: old.refreshToken,
    });
    assert.equal(out.signedOff, true);
    // Upstream agrees the old token is dead (a client without cache asks it).
    const bare = env.makeClient({ tokenCache: undefined });
    assert.equal(await bare.validateAccessToken(old.accessToken), false);

    // The cached instances must not keep answering "valid".
    const self = await env.client.validateAccessToken(old.accessToken);
    const there = await other.validateTokenSet(old.accessToken).then(
      (check) => `accepted (state ${check.state})`,
      (e: Error & { code?: string }) => e.code,
    );
    assert.deepEqual(
      { self, there },
      { self: false, there: "ERR_INVALID_TOKEN_SET" },
      "an instance sharing the store still accepts the signed-off access token",
    );
  } finally {
    await env.close();
  }
});
