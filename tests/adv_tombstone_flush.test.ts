// Adversarial: a revoke whose store writes fail is "kept in process: never
// lost" (token_set_cache.ts): the only thing that keeps it is the in-process
// tombstone LRU (10 000 entries). Every logout, even one with made-up tokens,
// adds its tokens to that LRU (forget() sets the tombstone before it knows
// whether the token was ever valid), so an unauthenticated caller who sends
// 10 000 bogus logouts evicts the real tombstone, and the revoked token's
// cached "valid" entry, still in the store, is served again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore, TokenSetCache } from "../src/cache/mod.ts";
import type { KVStore } from "../src/cache/mod.ts";

/** A store of this process whose writes can fail (an outage), and which is not a MemoryStore. */
function flakyStore(): { store: KVStore; down: { writes: boolean } } {
  const inner = memoryStore();
  const down = { writes: false };
  const store: KVStore = {
    get: (k) => inner.get(k),
    put: (k, v, o) => down.writes ? Promise.reject(new Error("Store down")) : inner.put(k, v, o),
    delete: (k) => down.writes ? Promise.reject(new Error("Store down")) : inner.delete(k),
    putIfAbsent: (k, v, o) =>
      down.writes ? Promise.reject(new Error("Store down")) : inner.putIfAbsent!(k, v, o),
  };
  return { store, down };
}

test("adv: bogus logouts evict the in-process tombstone of a revoke the store missed", async () => {
  const { store, down } = flakyStore();
  const now = 1_800_000_000_000;
  const cache = new TokenSetCache({ store, secretKey: "s3cret-for-adv", now: () => now });
  const revokedUpstream = new Set<string>();
  let validations = 0;
  const upstream = cache.wrap({
    validate: (t) => {
      validations++;
      return Promise.resolve(!revokedUpstream.has(t) && t.startsWith("good."));
    },
    refresh: () => Promise.reject(new Error("Not used")),
  });
  const victim = "good.victim-access-token";
  assert.equal(await upstream.validate(victim), true);

  // The victim logs out during a short store outage: upstream confirms the revoke.
  revokedUpstream.add(victim);
  down.writes = true;
  await cache.forget([victim], { confirmed: true });
  down.writes = false;
  assert.equal(await upstream.validate(victim), false, "refused right after the logout");

  // An attacker's bogus logouts (each logout calls forget() with the cookie's tokens).
  for (let i = 0; i < 10_001; i++) await cache.forget([`bogus-${i}`], { confirmed: false });

  const before = validations;
  const answer = await upstream.validate(victim);
  assert.equal(
    answer,
    false,
    `the revoked token is valid again (upstream asked ${validations - before} times)`,
  );
});
