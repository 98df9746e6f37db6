import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore, memoryStore } from "../src/cache/memory_store.ts";
import { cloudflareKVStore, type KVNamespaceLike } from "../src/cache/cloudflare_kv_store.ts";
import { type DenoKvLike, denoKVStore } from "../src/cache/deno_kv_store.ts";
import { redisStore } from "../src/cache/redis_store.ts";
import { TokenSetCache } from "../src/cache/token_set_cache.ts";
import { AuthLiteError } from "../src/errors.ts";
import { checkCacheOverStore, checkStoreBasics } from "./_store_suite.ts";
import { checkToken } from "./_cache_calls.ts";

describe("memoryStore()", () => {
  test("memoryStore() gets, puts, overwrites and deletes", async () => {
    await checkStoreBasics(memoryStore());
  });

  test("memoryStore() serves a token-set cache shared by two callers", async () => {
    await checkCacheOverStore(memoryStore());
  });

  test("memoryStore() expires an entry after its TTL", async () => {
    let now = 1_000_000;
    const store = memoryStore({ now: () => now });
    await store.put("k", "v", { ttlSeconds: 2 });
    now += 1999;
    assert.equal(await store.get("k"), "v");
    now += 1;
    assert.equal(await store.get("k"), null);
    assert.equal(store.size, 0);
  });

  test("memoryStore() keeps at most maxEntries, evicting the least recently used", async () => {
    const store = memoryStore({ maxEntries: 3 });
    for (const k of ["a", "b", "c"]) await store.put(k, k, { ttlSeconds: 60 });
    assert.equal(await store.get("a"), "a"); // a is now the most recent
    await store.put("d", "d", { ttlSeconds: 60 });
    assert.equal(store.size, 3);
    assert.equal(await store.get("b"), null);
    assert.deepEqual(
      await Promise.all(["a", "c", "d"].map((k) => store.get(k))),
      ["a", "c", "d"],
    );
    for (let i = 0; i < 10_000; i++) await store.put(`x${i}`, "v", { ttlSeconds: 60 });
    assert.equal(store.size, 3);
  });

  test("memoryStore() defaults to 10 000 entries and rejects a bad bound", () => {
    assert.equal(memoryStore().maxEntries, 10_000);
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => memoryStore({ maxEntries }),
        (err: unknown) => err instanceof AuthLiteError && err.code === "ERR_CONFIG",
      );
    }
  });

  test("new TokenSetCache() answers a repeated hit over a memoryStore from its decrypted layer", async () => {
    const store = memoryStore();
    assert.ok(store instanceof MemoryStore);
    let now = 1_000_000;
    const cache = new TokenSetCache({ store, secretKey: "s", now: () => now });
    let calls = 0;
    const upstream = {
      validate: () => Promise.resolve(++calls > 0),
      refresh: () => Promise.reject(new Error("Not used")),
    };
    await checkToken(cache, "t", upstream);
    await checkToken(cache, "t", upstream);
    assert.equal(calls, 1);
    assert.deepEqual([cache.stats().memoryHits, cache.stats().storeHits], [1, 0]);
    // Past the layer's 5 s the store answers (and decrypts) again.
    now += 6_000;
    await checkToken(cache, "t", upstream);
    assert.equal(calls, 1);
    assert.deepEqual([cache.stats().memoryHits, cache.stats().storeHits], [1, 1]);
    // Without the layer every hit is a store hit.
    const bare = new TokenSetCache({ store: memoryStore(), secretKey: "s", memoryLayer: false });
    await checkToken(bare, "t", upstream);
    await checkToken(bare, "t", upstream);
    assert.deepEqual([bare.stats().memoryHits, bare.stats().storeHits], [0, 1]);
  });
});

describe("cloudflareKVStore()", () => {
  function fakeNamespace() {
    const puts: Array<{ key: string; expirationTtl: number }> = [];
    const map = new Map<string, string>();
    const ns: KVNamespaceLike = {
      get: (key) => Promise.resolve(map.get(key) ?? null),
      put: (key, value, options) => {
        puts.push({ key, expirationTtl: options.expirationTtl });
        map.set(key, value);
        return Promise.resolve();
      },
      delete: (key) => Promise.resolve(void map.delete(key)),
    };
    return { ns, puts };
  }

  test("cloudflareKVStore() rounds a TTL up to Workers KV's 60 s minimum", async () => {
    const { ns, puts } = fakeNamespace();
    const store = cloudflareKVStore(ns);
    await store.put("a", "1", { ttlSeconds: 5 });
    await store.put("b", "2", { ttlSeconds: 90.2 });
    assert.deepEqual(puts.map((p) => p.expirationTtl), [60, 91]);
    await checkStoreBasics(store);
  });

  test("cloudflareKVStore() rejects something that is not a KV binding", () => {
    assert.throws(
      () => cloudflareKVStore({} as KVNamespaceLike),
      (err: unknown) => err instanceof AuthLiteError && err.code === "ERR_CONFIG",
    );
  });
});

describe("denoKVStore() and redisStore() shapes", () => {
  test("denoKVStore() writes under a prefix with expireIn in milliseconds", async () => {
    const sets: Array<{ key: readonly string[]; expireIn: number }> = [];
    const map = new Map<string, string>();
    const kv: DenoKvLike = {
      get: (key) => Promise.resolve({ value: map.get(key.join("/")) ?? null }),
      set: (key, value, options) => {
        sets.push({ key, expireIn: options.expireIn });
        map.set(key.join("/"), value);
        return Promise.resolve({ ok: true });
      },
      delete: (key) => Promise.resolve(void map.delete(key.join("/"))),
    };
    const store = denoKVStore(kv, { prefix: ["app", "cache"] });
    await store.put("k", "v", { ttlSeconds: 1.5 });
    assert.deepEqual(sets, [{ key: ["app", "cache", "k"], expireIn: 1500 }]);
    await checkStoreBasics(store);
  });

  test("redisStore() speaks GET, SET PX and DEL to ioredis-, Bun- and node-redis-shaped clients", async () => {
    const seen: string[][] = [];
    const data = new Map<string, string>();
    const exec = (args: string[]): Promise<unknown> => {
      seen.push(args);
      const [cmd, key = "", value = ""] = args;
      if (cmd === "GET") return Promise.resolve(data.get(key) ?? null);
      if (cmd === "SET") {
        data.set(key, value);
        return Promise.resolve("OK");
      }
      if (cmd === "DEL") return Promise.resolve(data.delete(key) ? 1 : 0);
      return Promise.reject(new Error("Unknown command"));
    };
    const clients = [
      {
        call: (c: string, ...a: string[]) => exec([c, ...a]),
        sendCommand: () => Promise.reject(new Error("Wrong method")),
      },
      { send: (c: string, a: string[]) => exec([c, ...a]) },
      { sendCommand: (a: readonly string[]) => exec([...a]) },
    ];
    for (const client of clients) {
      seen.length = 0;
      const store = redisStore(client);
      await store.put("k", "v", { ttlSeconds: 2 });
      assert.equal(await store.get("k"), "v");
      await store.delete("k");
      assert.deepEqual(seen, [["SET", "k", "v", "PX", "2000"], ["GET", "k"], ["DEL", "k"]]);
    }
    assert.throws(
      () => redisStore({} as never),
      (err: unknown) => err instanceof AuthLiteError && err.code === "ERR_CONFIG",
    );
  });
});
