/**
 * Test helper: what a store's atomic claim (`putIfAbsent`) must do, run
 * against a real backend (inside workerd for the Durable Object store).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { KVPutOptions, KVStore } from "../src/cache/store.ts";

/** A store with the optional claim. */
export interface ClaimStore extends KVStore {
  /** Store `value` only if no live entry is under `key`; `true` when this call stored it. */
  putIfAbsent(key: string, value: string, options: KVPutOptions): Promise<boolean>;
}

/**
 * One claim wins and the others lose, also when `racers` claims arrive at
 * once; a plain put, a delete and an expiry each decide the next claim.
 */
export async function checkClaims(store: ClaimStore, racers = 50): Promise<void> {
  const k = `claim:${crypto.randomUUID()}`;
  assert.equal(await store.putIfAbsent(k, "first", { ttlSeconds: 60 }), true);
  assert.equal(await store.putIfAbsent(k, "second", { ttlSeconds: 60 }), false);
  assert.equal(await store.get(k), "first");
  await store.delete(k);
  assert.equal(await store.putIfAbsent(k, "third", { ttlSeconds: 60 }), true);
  await store.put(k, "plain", { ttlSeconds: 60 });
  assert.equal(await store.putIfAbsent(k, "fourth", { ttlSeconds: 60 }), false);
  assert.equal(await store.get(k), "plain");

  const race = `${k}:race`;
  const won = await Promise.all(
    Array.from({ length: racers }, (_, i) => store.putIfAbsent(race, `v${i}`, { ttlSeconds: 60 })),
  );
  const winners = won.flatMap((w, i) => (w ? [i] : []));
  assert.equal(winners.length, 1, `exactly one claim wins, not ${winners.length}`);
  assert.equal(await store.get(race), `v${winners[0]}`);

  // An expired claim is no claim: wait for the entry to go, then claim again.
  const short = `${k}:short`;
  assert.equal(await store.putIfAbsent(short, "a", { ttlSeconds: 1 }), true);
  const deadline = Date.now() + 10_000;
  while ((await store.get(short)) !== null) {
    assert.ok(Date.now() < deadline, "the entry outlived its TTL by 9 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(await store.putIfAbsent(short, "b", { ttlSeconds: 60 }), true);
  assert.equal(await store.get(short), "b");
  await Promise.all([k, race, short].map((key) => store.delete(key)));
}
