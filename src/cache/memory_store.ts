/**
 * An in-memory {@linkcode KVStore}: a bounded LRU with a TTL per entry.
 *
 * @module
 */
import type { KVPutOptions, KVStore } from "./store.ts";
import { BoundedMap } from "../_bounded_map.ts";
import { AuthLiteInputError } from "../errors.ts";

/** Options of {@linkcode memoryStore}. */
export interface MemoryStoreOptions {
  /** The most entries kept; the least recently used go first (default 10 000). */
  maxEntries?: number;
  /** Clock in milliseconds (default `Date.now`); tests inject their own. */
  now?: () => number;
}

/**
 * The store {@linkcode memoryStore} returns: process-local, bounded, with a
 * TTL per entry. The token-set cache uses it directly (no second in-memory
 * layer in front of it).
 */
export class MemoryStore implements KVStore {
  #lru: BoundedMap<string, string>;
  #now: () => number;
  /** The bound on entries. */
  readonly maxEntries: number;
  /** Reads see every completed write (one process). */
  readonly consistency: "strong" = "strong";
  /** In this process: its calls are neither timed nor guarded by a breaker. */
  readonly local: true = true;

  /**
   * A new, empty store (prefer {@linkcode memoryStore}).
   *
   * @param options the bound and the clock
   * @throws {AuthLiteInputError} `ERR_CONFIG` when `maxEntries` is not a positive integer
   */
  constructor(options: MemoryStoreOptions = {}) {
    const max = options.maxEntries ?? 10_000;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new AuthLiteInputError(
        "ERR_CONFIG",
        "Invalid option: maxEntries must be a positive integer",
      );
    }
    this.maxEntries = max;
    this.#now = options.now ?? Date.now;
    this.#lru = new BoundedMap(max, { now: this.#now, touch: true });
  }

  /** Entries held (at most {@linkcode MemoryStore.maxEntries}). */
  get size(): number {
    return this.#lru.size;
  }

  /**
   * The value under `key`, or `null` when there is none or it expired.
   *
   * @param key the key
   * @returns the value or `null`
   */
  get(key: string): Promise<string | null> {
    return Promise.resolve(this.#lru.get(key) ?? null);
  }

  /**
   * The values under `keys`, in their order (`null` where there is none).
   *
   * @param keys the keys
   * @returns the values
   */
  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return Promise.resolve(keys.map((key) => this.#lru.get(key) ?? null));
  }

  /**
   * Store `value` under `key` for `options.ttlSeconds`.
   *
   * @param key the key
   * @param value the value
   * @param options the lifetime
   * @returns when stored
   */
  put(key: string, value: string, options: KVPutOptions): Promise<void> {
    this.#lru.set(key, value, this.#now() + options.ttlSeconds * 1000);
    return Promise.resolve();
  }

  /**
   * Store `value` under `key` for `options.ttlSeconds` only if no live entry
   * is there.
   *
   * @param key the key
   * @param value the value
   * @param options the lifetime
   * @returns `true` when this call stored it
   */
  putIfAbsent(key: string, value: string, options: KVPutOptions): Promise<boolean> {
    if (this.#lru.has(key)) return Promise.resolve(false);
    this.#lru.set(key, value, this.#now() + options.ttlSeconds * 1000);
    return Promise.resolve(true);
  }

  /**
   * Remove the entry under `key`, if any.
   *
   * @param key the key
   * @returns when removed
   */
  delete(key: string): Promise<void> {
    this.#lru.delete(key);
    return Promise.resolve();
  }

  /** Remove every entry. */
  clear(): void {
    this.#lru.clear();
  }
}

/**
 * An in-memory LRU store with a TTL per entry and a bound on entries: the
 * embedded default, for a single process.
 *
 * @param options the bound on entries (default 10 000) and the clock
 * @returns the store
 * @throws {AuthLiteInputError} `ERR_CONFIG` when `maxEntries` is not a positive integer
 *
 * @example
 * ```ts
 * import { memoryStore } from "@authlite/authlite";
 * const store = memoryStore({ maxEntries: 1000 });
 * await store.put("k", "v", { ttlSeconds: 60 });
 * console.assert((await store.get("k")) === "v");
 * ```
 */
export function memoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options);
}
