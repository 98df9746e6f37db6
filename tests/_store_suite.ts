/**
 * Test helper: what every {@linkcode KVStore} adapter must do, run against a
 * real backend by each adapter's test file.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { KVStore } from "../src/cache/store.ts";
import { TokenSetCache } from "../src/cache/token_set_cache.ts";
import type { TokenSetUpstream } from "../src/cache/types.ts";
import { checkSet, checkToken } from "./_cache_calls.ts";

/** get, put, overwrite, delete and a missing key. */
export async function checkStoreBasics(store: KVStore): Promise<void> {
  const k = `suite:${crypto.randomUUID()}`;
  assert.equal(await store.get(k), null);
  await store.put(k, "one", { ttlSeconds: 60 });
  assert.equal(await store.get(k), "one");
  await store.put(k, "two", { ttlSeconds: 60 });
  assert.equal(await store.get(k), "two");
  await store.delete(k);
  assert.equal(await store.get(k), null);
  await store.delete(k); // deleting a missing key is fine
  const long = "v1." + "x".repeat(4096);
  await store.put(`${k}:long`, long, { ttlSeconds: 1 });
  assert.equal(await store.get(`${k}:long`), long);
  await store.delete(`${k}:long`);
  if (store.putIfAbsent !== undefined) await checkPutIfAbsent(store);
}

/**
 * putIfAbsent(): one winner among concurrent claims, a live entry is kept, a
 * deleted or expired one can be claimed again.
 */
export async function checkPutIfAbsent(store: KVStore): Promise<void> {
  const claim = store.putIfAbsent?.bind(store);
  assert.ok(claim !== undefined);
  assert.equal(store.consistency, "strong");
  const k = `suite:claim:${crypto.randomUUID()}`;
  const wins = await Promise.all(
    Array.from({ length: 8 }, (_, i) => claim(k, `v${i}`, { ttlSeconds: 60 })),
  );
  assert.equal(wins.filter((w) => w).length, 1);
  assert.equal(await store.get(k), `v${wins.indexOf(true)}`);
  assert.equal(await claim(k, "late", { ttlSeconds: 60 }), false);
  await store.delete(k);
  assert.equal(await claim(k, "again", { ttlSeconds: 60 }), true);
  assert.equal(await store.get(k), "again");
  await store.delete(k);
  // An expired claim does not block the next one (Deno KV keeps expired keys for a while).
  const short = `${k}:short`;
  assert.equal(await claim(short, "first", { ttlSeconds: 0.05 }), true);
  const deadline = Date.now() + 5000;
  let reclaimed = false;
  while (!reclaimed && Date.now() < deadline) {
    reclaimed = await claim(short, "second", { ttlSeconds: 60 });
    if (!reclaimed) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(reclaimed, "an expired claim was never released");
  assert.equal(await store.get(short), "second");
  await store.delete(short);
}

/**
 * A TokenSetCache over `store`, shared by two caches (two processes): the
 * second caller makes no upstream call, a forget sends the next one upstream,
 * and nothing in the store holds a token or the secret.
 */
export async function checkCacheOverStore(
  store: KVStore,
  listEntries?: () => Promise<Array<[string, string]>>,
): Promise<void> {
  const secretKey = `secret-${crypto.randomUUID()}`;
  const token = `access-${crypto.randomUUID()}`;
  const refresh = `refresh-${crypto.randomUUID()}`;
  let validations = 0;
  const upstream: TokenSetUpstream = {
    validate: () => Promise.resolve(++validations > 0),
    refresh: () => Promise.reject(new Error("Not used")),
  };
  const a = new TokenSetCache({ store, secretKey, memoryLayer: false });
  const b = new TokenSetCache({ store, secretKey, memoryLayer: false });
  assert.equal((await checkSet(a, token, refresh, upstream)).state, true);
  assert.equal((await checkSet(b, token, refresh, upstream)).state, true);
  assert.equal(validations, 1);
  assert.equal(b.stats().storeHits, 1);
  if (listEntries !== undefined) {
    const entries = await listEntries();
    assert.ok(entries.length >= 1);
    for (const [key, value] of entries) {
      for (const s of [token, refresh, secretKey]) {
        assert.ok(!key.includes(s) && !value.includes(s), "a token or the secret in the store");
      }
    }
  }
  await b.forget([token]);
  assert.equal(await checkToken(a, token, upstream), true);
  assert.equal(validations, 2);
}
