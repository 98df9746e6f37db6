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
  assert.equal((await a.validateTokenSet(token, refresh, upstream)).state, true);
  assert.equal((await b.validateTokenSet(token, refresh, upstream)).state, true);
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
  assert.equal(await a.validateAccessToken(token, upstream), true);
  assert.equal(validations, 2);
}
