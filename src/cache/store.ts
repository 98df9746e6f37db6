/**
 * The one small interface every token-set store implements.
 *
 * @module
 */

/** Options of {@linkcode KVStore.put}. */
export interface KVPutOptions {
  /** Lifetime of the entry in seconds. Stores with a minimum TTL round up to it. */
  ttlSeconds: number;
}

/**
 * A key-value store for cached token sets: in-memory, Workers KV, Deno KV,
 * Redis or a Durable Object. Keys and values are opaque strings (the cache hashes keys and
 * encrypts values before they reach a store).
 *
 * @example A store of your own
 * ```ts
 * import type { KVStore } from "@authlite/authlite";
 * const map = new Map<string, string>();
 * const store: KVStore = {
 *   get: (key) => Promise.resolve(map.get(key) ?? null),
 *   put: (key, value) => Promise.resolve(void map.set(key, value)),
 *   delete: (key) => Promise.resolve(void map.delete(key)),
 * };
 * await store.put("k", "v", { ttlSeconds: 60 });
 * ```
 */
export interface KVStore {
  /** The value under `key`, or `null` when there is none (or it expired). */
  get(key: string): Promise<string | null>;
  /** Store `value` under `key` for `options.ttlSeconds`. */
  put(key: string, value: string, options: KVPutOptions): Promise<void>;
  /** Remove the entry under `key`, if any. */
  delete(key: string): Promise<void>;
  /**
   * Optional atomic claim: store `value` under `key` only if no live entry is
   * there; resolves `true` when this call stored it. Stores that have it
   * (memory, Redis `SET NX PX`, Deno KV's atomic check, a Durable Object) let
   * instances sharing the store agree on who refreshes a token set.
   */
  putIfAbsent?(key: string, value: string, options: KVPutOptions): Promise<boolean>;
  /**
   * Optional: the values under several keys in one round trip (Redis `MGET`,
   * Deno KV `getMany`, one request per Durable Object involved), in the order
   * of `keys`, `null` where there is none. Without it the cache reads the
   * keys one by one, in parallel.
   */
  getMany?(keys: readonly string[]): Promise<(string | null)[]>;
  /**
   * `true` for a store inside this process (`memoryStore()`): its calls are
   * not bounded by a timer nor guarded by a circuit breaker, since they
   * cannot hang or fail as a network call does. Absent: a remote store.
   */
  readonly local?: boolean;
  /**
   * How fresh reads are: `"strong"` (a read sees every completed write:
   * memory, Redis, Deno KV, a Durable Object) or `"eventual"` (Workers KV).
   * Absent: `"eventual"`.
   */
  readonly consistency?: "strong" | "eventual";
}
