// Adversarial: the grace pair a process keeps in `core.missed` (src/cache/_refresh.ts
// record()) for a caller whose validation read the old token's key before the
// record. It must go only to the holder of the old pair, and a logout made in
// this process during the grace window must close it, on a store with claims
// and on one without (Workers KV).
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore, TokenSetCache } from "../src/cache/mod.ts";
import type { KVStore } from "../src/cache/mod.ts";
import { startHarness } from "./_cache_harness.ts";
import { checkSet } from "./_cache_calls.ts";

const secretKey = "s3cret-for-adv3-missed";

/** A store without putIfAbsent (as Workers KV): no claims. */
function withoutClaims(now: () => number): KVStore {
  const inner = memoryStore({ now });
  return {
    get: (k) => inner.get(k),
    put: (k, v, o) => inner.put(k, v, o),
    delete: (k) => inner.delete(k),
  };
}

for (const kind of ["claims", "no claims"] as const) {
  test(`adv3 (${kind}): after a logout of the new pair here, the old pair gets no grace pair`, async () => {
    const h = await startHarness({ accessTokenTtlSeconds: 60 });
    try {
      const store = kind === "claims" ? memoryStore({ now: h.now }) : withoutClaims(h.now);
      const cache = new TokenSetCache({ store, secretKey, now: h.now, graceSeconds: 30 });
      const s = h.session();
      h.advance(120); // the access token has expired
      const fresh = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(fresh.state, false);
      // A second caller with the old pair, within the grace: the same pair.
      assert.deepEqual(await checkSet(cache, s.accessToken, s.refreshToken, h.upstream), fresh);
      // The user logs out the new pair (in this process).
      await cache.forget([fresh.access, fresh.refresh as string], { confirmed: true });
      await assert.rejects(
        checkSet(cache, s.accessToken, s.refreshToken, h.upstream),
        /Refresh failed: 401/, // presented upstream, and refused there: no grace pair
      );
    } finally {
      await h.close();
    }
  });

  test(`adv3 (${kind}): after a logout of the old pair here, the old pair gets no grace pair`, async () => {
    const h = await startHarness({ accessTokenTtlSeconds: 60 });
    try {
      const store = kind === "claims" ? memoryStore({ now: h.now }) : withoutClaims(h.now);
      const cache = new TokenSetCache({ store, secretKey, now: h.now, graceSeconds: 30 });
      const s = h.session();
      h.advance(120);
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      await cache.forget([s.accessToken, s.refreshToken]);
      await assert.rejects(
        checkSet(cache, s.accessToken, s.refreshToken, h.upstream),
        /Refresh failed: 401/, // presented upstream, and refused there: no grace pair
      );
    } finally {
      await h.close();
    }
  });

  test(`adv3 (${kind}): an old access token with another user's refresh token does not replace the grace pair`, async () => {
    // The victim's first tab refreshes (old pair -> new pair). Someone who has
    // the victim's old access token (expired: it was a Bearer credential seen
    // by services and logs) sends it with a refresh token of their own
    // account. Their refresh is redeemed (their own session) and recorded
    // under the old access token's key, replacing the victim's grace entry:
    // the victim's second tab, still holding the old pair, then presents the
    // spent refresh token upstream and is logged out.
    const h = await startHarness({ accessTokenTtlSeconds: 60 });
    try {
      const store = kind === "claims" ? memoryStore({ now: h.now }) : withoutClaims(h.now);
      const cache = new TokenSetCache({ store, secretKey, now: h.now, graceSeconds: 30 });
      const victim = h.session();
      const mallory = h.session();
      h.advance(120); // both access tokens have expired
      const fresh = await checkSet(cache, victim.accessToken, victim.refreshToken, h.upstream);
      assert.equal(fresh.state, false);
      const theirs = await checkSet(cache, victim.accessToken, mallory.refreshToken, h.upstream);
      assert.notEqual(theirs.access, fresh.access);
      const refreshes = h.calls().refresh;
      // The victim's second tab, within the grace window: the first tab's pair.
      assert.deepEqual(
        await checkSet(cache, victim.accessToken, victim.refreshToken, h.upstream),
        fresh,
      );
      assert.equal(h.calls().refresh, refreshes, "the spent refresh token is not presented again");
    } finally {
      await h.close();
    }
  });
}
