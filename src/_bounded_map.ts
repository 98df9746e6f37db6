/**
 * A map bounded in entries (and optionally in weight) that forgets its oldest
 * entry first, each entry with an optional expiry: the one eviction loop of
 * the package (the cache's memory store and layer, its tombstones, marks and
 * misses, the client's guard, the resolver's memo, the rate limiter, the log
 * throttle).
 *
 * "Oldest" is the order of `set` (a `set` of a key makes it the newest); with
 * `touch`, a `get` makes it the newest too (least-recently-used eviction).
 *
 * @module
 */

interface Slot<V> {
  value: V;
  /** ms; `Infinity`: never. */
  expiresAt: number;
  weight: number;
}

/** Options of {@linkcode BoundedMap}. */
export interface BoundedMapOptions<K, V> {
  /** Clock in milliseconds, for entries given an expiry (default `Date.now`). */
  now?: (() => number) | undefined;
  /** Whether a `get` makes the entry the newest (LRU); default `false`. */
  touch?: boolean | undefined;
  /** A bound on the total weight as well (default none). */
  maxWeight?: number | undefined;
  /** The weight of an entry (default 1). */
  weigh?: ((key: K, value: V) => number) | undefined;
}

/** A bounded map that forgets the oldest entry first; entries may expire. */
export class BoundedMap<K, V> {
  #map = new Map<K, Slot<V>>();
  #max: number;
  #now: () => number;
  #touch: boolean;
  #maxWeight: number;
  #weigh: ((key: K, value: V) => number) | undefined;
  #weight = 0;

  /**
   * @param maxEntries the bound on entries
   * @param options the clock, LRU order, a weight bound
   */
  constructor(maxEntries: number, options: BoundedMapOptions<K, V> = {}) {
    this.#max = maxEntries;
    this.#now = options.now ?? Date.now;
    this.#touch = options.touch === true;
    this.#maxWeight = options.maxWeight ?? Infinity;
    this.#weigh = options.weigh;
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.#map.size;
  }

  /** The total weight of the entries held. */
  get weight(): number {
    return this.#weight;
  }

  /**
   * The live value under `key`.
   *
   * @param key the key
   * @returns the value, or `undefined` when there is none or it has expired
   */
  get(key: K): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt !== Infinity && slot.expiresAt <= this.#now()) {
      this.#remove(key, slot);
      return undefined;
    }
    if (this.#touch) {
      this.#map.delete(key);
      this.#map.set(key, slot);
    }
    return slot.value;
  }

  /**
   * Keep `value` under `key` as the newest entry, then forget the oldest
   * ones beyond the bounds.
   *
   * @param key the key
   * @param value the value
   * @param expiresAt when it expires, ms (default never); a past time only deletes `key`
   */
  set(key: K, value: V, expiresAt: number = Infinity): void {
    this.delete(key);
    if (expiresAt !== Infinity && expiresAt <= this.#now()) return;
    const weight = this.#weigh?.(key, value) ?? 1;
    this.#map.set(key, { value, expiresAt, weight });
    this.#weight += weight;
    while (this.#map.size > this.#max || this.#weight > this.#maxWeight) {
      const oldest = this.#map.entries().next();
      if (oldest.done) break;
      this.#remove(oldest.value[0], oldest.value[1]);
    }
  }

  /**
   * Whether a live entry is under `key` (its age unchanged).
   *
   * @param key the key
   * @returns `true` when there is one
   */
  has(key: K): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    if (slot.expiresAt === Infinity || slot.expiresAt > this.#now()) return true;
    this.#remove(key, slot);
    return false;
  }

  /**
   * Forget `key`.
   *
   * @param key the key
   * @returns `true` when it was there (live or expired)
   */
  delete(key: K): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    this.#remove(key, slot);
    return true;
  }

  /** Forget everything. */
  clear(): void {
    this.#map.clear();
    this.#weight = 0;
  }

  /**
   * The entries, oldest first, expired ones not yet swept included (deleting
   * while iterating is safe).
   *
   * @returns the keys and values
   */
  *entries(): IterableIterator<[K, V]> {
    for (const [key, slot] of this.#map) yield [key, slot.value];
  }

  #remove(key: K, slot: Slot<V>): void {
    this.#map.delete(key);
    this.#weight -= slot.weight;
  }
}
