import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { denoKVStore } from "../src/cache/deno_kv_store.ts";
import { TokenSetCache } from "../src/cache/token_set_cache.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { checkCacheOverStore, checkStoreBasics } from "./_store_suite.ts";
import { startHarness } from "./_cache_harness.ts";
import { checkSet } from "./_cache_calls.ts";
import { denoKvSkip as skip, openDenoKv } from "./_deno_kv.ts";

// Under Deno, Deno KV is required (a missing one fails); Bun cannot have it and skips by name.

describe("denoKVStore() against Deno.openKv(':memory:')", () => {
  test("denoKVStore() gets, puts, overwrites and deletes", { skip }, async () => {
    const kv = await openDenoKv();
    try {
      await checkStoreBasics(denoKVStore(kv));
    } finally {
      kv.close();
    }
  });

  test("denoKVStore() serves a token-set cache shared by two processes, with nothing in clear", {
    skip,
  }, async () => {
    const kv = await openDenoKv();
    try {
      await checkCacheOverStore(denoKVStore(kv, { prefix: ["t"] }), async () => {
        const out: Array<[string, string]> = [];
        for await (const e of kv.list<string>({ prefix: ["t"] })) {
          out.push([e.key.join("/"), e.value]);
        }
        return out;
      });
    } finally {
      kv.close();
    }
  });

  test("validateTokenSet() over Deno KV does not serve an expired entry", { skip }, async () => {
    const kv = await openDenoKv();
    const h = await startHarness();
    try {
      const cache = new TokenSetCache({
        store: denoKVStore(kv),
        secretKey: DEMO_ORG.secretKey,
        now: h.now,
        ttlSeconds: 30,
        memoryLayer: false,
      });
      const s = h.session();
      h.emulator.resetRequests();
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(h.calls().validate, 1);
      h.advance(31); // Deno KV still holds the entry (its own clock); the value's expiry has passed
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(h.calls().validate, 2);
    } finally {
      await h.close();
      kv.close();
    }
  });
});
