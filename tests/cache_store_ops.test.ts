/**
 * Store operations per request (issue 21), counted through a counting store
 * wrapper, never timed, for each store kind that runs here: a miss is at most
 * one read and one write, a revocation recheck one read, the refresh path
 * (an expired access token, a good refresh token) four operations.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import {
  AuthLiteStoreObject,
  denoKVStore,
  durableObjectStore,
  type KVStore,
  memoryStore,
  redisStore,
  TokenSetCache,
} from "../src/cache/mod.ts";
import type { DurableObjectStorageLike } from "../src/cache/mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { startHarness } from "./_cache_harness.ts";
import { checkSet } from "./_cache_calls.ts";
import { startRedis } from "./_redis_server.ts";
import { denoKvSkip, openDenoKv } from "./_deno_kv.ts";

/** `inner` with every call counted by operation; its capabilities passed through. */
function counting(inner: KVStore): { store: KVStore; ops: string[] } {
  const ops: string[] = [];
  const store: KVStore = {
    get: (k) => (ops.push("get"), inner.get(k)),
    put: (k, v, o) => (ops.push("put"), inner.put(k, v, o)),
    delete: (k) => (ops.push("delete"), inner.delete(k)),
    ...(inner.consistency === undefined ? {} : { consistency: inner.consistency }),
    ...(inner.local === undefined ? {} : { local: inner.local }),
  };
  if (inner.putIfAbsent !== undefined) {
    store.putIfAbsent = (k, v, o) => (ops.push("putIfAbsent"), inner.putIfAbsent!(k, v, o));
  }
  if (inner.getMany !== undefined) {
    store.getMany = (keys) => (ops.push("getMany"), inner.getMany!(keys));
  }
  return { store, ops };
}

/** The three requests of the issue's table, each counted alone; `ops` is drained after each. */
async function countRequests(
  inner: KVStore,
): Promise<{ miss: string[]; recheck: string[]; refresh: string[] }> {
  const h = await startHarness({ accessTokenTtlSeconds: 120 });
  try {
    const { store, ops } = counting(inner);
    const cache = new TokenSetCache({ store, secretKey: DEMO_ORG.secretKey, now: h.now });
    const s = h.session();
    const take = () => ops.splice(0);
    const first = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
    assert.equal(first.state, true);
    const miss = take();
    await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
    assert.deepEqual(take(), [], "an in-process hit makes no store call");
    h.advance(1.01); // the recheck is due
    await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
    const recheck = take();
    h.advance(300); // the access token expired, the refresh token is good
    const refreshed = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
    assert.equal(refreshed.state, false);
    const refresh = take();
    assert.equal(h.calls().refresh, 1);
    return { miss, recheck, refresh };
  } finally {
    await h.close();
  }
}

// deno-lint-ignore no-explicit-any
const print = (globalThis as any).process?.env?.PRINT_STORE_OPS === "1";

function assertBounds(
  counts: { miss: string[]; recheck: string[]; refresh: string[] },
  name: string,
  extra = "",
): void {
  if (print) {
    const row = [counts.miss, counts.recheck, counts.refresh].map((ops) =>
      `${ops.length}: ${ops.join(" ")}`
    );
    console.log(`| ${name} | ${row.join(" | ")} |${extra}`);
  }
  const reads = (ops: string[]) => ops.filter((op) => op === "get" || op === "getMany").length;
  assert.ok(reads(counts.miss) <= 1 && counts.miss.length <= 2, `miss: ${counts.miss}`);
  assert.ok(counts.recheck.length <= 1, `recheck: ${counts.recheck}`);
  assert.ok(counts.refresh.length <= 4, `refresh: ${counts.refresh}`);
}

/** An in-process Durable Object namespace of AuthLiteStoreObjects, counting the requests to objects. */
function objects(): {
  namespace: Parameters<typeof durableObjectStore>[0];
  requests: () => number;
} {
  const all = new Map<string, AuthLiteStoreObject>();
  let requests = 0;
  const storage = (): DurableObjectStorageLike => {
    const map = new Map<string, unknown>();
    let alarm: number | null = null;
    return {
      get: (key) => Promise.resolve(map.get(key)),
      put: (key, value) => Promise.resolve(void map.set(key, value)),
      delete: (key) => Promise.resolve(map.delete(key)),
      list: () => Promise.resolve(new Map(map)),
      getAlarm: () => Promise.resolve(alarm),
      setAlarm: (t) => Promise.resolve(void (alarm = t)),
    };
  };
  return {
    namespace: {
      idFromName: (name: string) => name,
      get: (id: string) => ({
        fetch: (url: string, init?: RequestInit) => {
          requests++;
          let object = all.get(id);
          if (object === undefined) {
            all.set(id, object = new AuthLiteStoreObject({ storage: storage() }));
          }
          return object.fetch(new Request(url, init));
        },
      }),
    },
    requests: () => requests,
  };
}

describe("store operations per request", () => {
  test("memoryStore(): miss ≤ 2, recheck ≤ 1, refresh ≤ 4", async () => {
    assertBounds(await countRequests(memoryStore()), "memoryStore()");
  });

  test("redisStore() against redis-server: miss ≤ 2, recheck ≤ 1, refresh ≤ 4", async () => {
    const server = await startRedis();
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    try {
      await client.connect();
      assertBounds(await countRequests(redisStore(client)), "redisStore()");
    } finally {
      await client.close().catch(() => {});
      await server.close();
    }
  });

  test("denoKVStore(): miss ≤ 2, recheck ≤ 1, refresh ≤ 4", { skip: denoKvSkip }, async () => {
    const kv = await openDenoKv();
    try {
      assertBounds(await countRequests(denoKVStore(kv)), "denoKVStore()");
    } finally {
      kv.close();
    }
  });

  test("durableObjectStore(): miss ≤ 2, recheck ≤ 1, refresh ≤ 4 store calls", async () => {
    for (const shards of [undefined, 1]) {
      const { namespace, requests } = objects();
      const store = durableObjectStore(namespace, shards === undefined ? {} : { shards });
      const counts = await countRequests(store);
      const name = `durableObjectStore(${shards === undefined ? "" : `{ shards: ${shards} }`})`;
      assertBounds(counts, name, ` ${requests()} object requests in all`);
    }
  });
});
