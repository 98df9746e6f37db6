// Adversarial: "a user is logged out only when the upstream says that their
// refresh token is invalid: never because of ... a store outage". A grace pair
// is handed out only while its new access token is still valid in the store
// (graceOf() in src/cache/_refresh.ts reads it, so that a logout of the new
// pair closes the window). When that read fails (the store is down, its
// breaker open), the failure reads as "not valid": the caller holding the old
// pair is sent upstream with the spent refresh token, refused, and logged out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore, TokenSetCache } from "../src/cache/mod.ts";
import type { KVStore } from "../src/cache/mod.ts";
import { startHarness } from "./_cache_harness.ts";
import { checkSet } from "./_cache_calls.ts";

const secretKey = "s3cret-for-adv3-grace-outage";

/** A remote-like store whose reads can fail (an outage), with claims or without. */
function flaky(now: () => number, claims: boolean): { store: KVStore; down: { reads: boolean } } {
  const inner = memoryStore({ now });
  const down = { reads: false };
  const fail = () => Promise.reject(new Error("Store down"));
  const store: KVStore = {
    get: (k) => down.reads ? fail() : inner.get(k),
    put: (k, v, o) => inner.put(k, v, o),
    delete: (k) => inner.delete(k),
    ...(claims ? { putIfAbsent: (k, v, o) => inner.putIfAbsent!(k, v, o) } : {}),
  };
  return { store, down };
}

for (const claims of [true, false]) {
  test(`adv3 (${claims ? "claims" : "no claims"}): a store outage during the grace window logs no tab out`, async () => {
    const h = await startHarness({ accessTokenTtlSeconds: 60 });
    try {
      const { store, down } = flaky(h.now, claims);
      const cache = new TokenSetCache({ store, secretKey, now: h.now, graceSeconds: 30 });
      const s = h.session();
      h.advance(120); // the access token has expired
      const fresh = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(fresh.state, false);
      const refreshes = h.calls().refresh;
      down.reads = true; // the store stops answering reads
      // The second tab, still holding the old pair, within the grace window.
      const second = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream).then(
        (check) => ({ check }),
        (error: unknown) => ({ error }),
      );
      assert.equal(
        h.calls().refresh,
        refreshes,
        "the spent refresh token is not presented upstream (a logout) because of a store outage",
      );
      if ("check" in second) assert.deepEqual(second.check, fresh);
      else assert.equal((second.error as { code?: string }).code, "ERR_UNAVAILABLE");
    } finally {
      await h.close();
    }
  });
}
