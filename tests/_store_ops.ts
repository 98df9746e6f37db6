/**
 * Store operations per request, counted through a counting store wrapper
 * (issue 21): shared by `tests/cache_store_ops.test.ts`, which checks the
 * bounds for each store kind, and `bench/store_ops.ts`, which prints them.
 *
 * @module
 */
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
import { openDenoKv } from "./_deno_kv.ts";

/** The operations of the three requests of the issue's table, each counted alone. */
export interface StoreOps {
  /** A validation that misses. */
  miss: string[];
  /** A hit once the revocation recheck is due. */
  recheck: string[];
  /** An expired access token with a good refresh token. */
  refresh: string[];
}

/**
 * `inner` with every call counted by operation; its capabilities passed through.
 *
 * @param inner the store
 * @returns the counting store and the list it appends to
 */
export function counting(inner: KVStore): { store: KVStore; ops: string[] } {
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

/**
 * The three requests of the issue's table through a token-set cache over
 * `inner`, each counted alone.
 *
 * @param inner the store
 * @returns the operations of each request
 */
export async function countRequests(inner: KVStore): Promise<StoreOps> {
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

/**
 * An in-process Durable Object namespace of AuthLiteStoreObjects, counting
 * the requests to objects.
 *
 * @returns the namespace and the count
 */
export function objects(): {
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

/** One store kind's counts, as the bench prints them. */
export interface StoreOpsRow {
  /** The store. */
  name: string;
  /** Its counts. */
  ops: StoreOps;
  /** A note (the requests to objects of a Durable Object store). */
  note?: string;
}

/** The counts through `memoryStore()`. */
export async function memoryOps(): Promise<StoreOpsRow> {
  return { name: "memoryStore()", ops: await countRequests(memoryStore()) };
}

/** The counts through `redisStore()` against a real redis-server of its own. */
export async function redisOps(): Promise<StoreOpsRow> {
  const server = await startRedis();
  const client = createClient({ url: server.url });
  client.on("error", () => {});
  try {
    await client.connect();
    return { name: "redisStore()", ops: await countRequests(redisStore(client)) };
  } finally {
    await client.close().catch(() => {});
    await server.close();
  }
}

/** The counts through `denoKVStore()` (Deno only). */
export async function denoKvOps(): Promise<StoreOpsRow> {
  const kv = await openDenoKv();
  try {
    return { name: "denoKVStore()", ops: await countRequests(denoKVStore(kv)) };
  } finally {
    kv.close();
  }
}

/** The counts through `durableObjectStore()`, sharded (the default) and with one object. */
export async function durableObjectOps(): Promise<StoreOpsRow[]> {
  const rows: StoreOpsRow[] = [];
  for (const shards of [undefined, 1]) {
    const { namespace, requests } = objects();
    const store = durableObjectStore(namespace, shards === undefined ? {} : { shards });
    const ops = await countRequests(store);
    const name = `durableObjectStore(${shards === undefined ? "" : `{ shards: ${shards} }`})`;
    rows.push({ name, ops, note: `${requests()} object requests in all` });
  }
  return rows;
}
