/**
 * A bounded map with least-recently-used eviction and a per-entry expiry.
 *
 * @module
 */

interface Slot<V> {
  value: V;
  expiresAt: number;
}

/** LRU map: `get` refreshes recency, `set` evicts the oldest beyond `maxEntries`. */
export class Lru<V> {
  #map = new Map<string, Slot<V>>();
  #max: number;
  #now: () => number;

  /**
   * @param maxEntries the bound on entries
   * @param now the clock in milliseconds
   */
  constructor(maxEntries: number, now: () => number) {
    this.#max = maxEntries;
    this.#now = now;
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.#map.size;
  }

  /** The live value under `key`, or `undefined`. */
  get(key: string): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= this.#now()) {
      this.#map.delete(key);
      return undefined;
    }
    this.#map.delete(key);
    this.#map.set(key, slot);
    return slot.value;
  }

  /** Keep `value` under `key` until `expiresAt` (ms). */
  set(key: string, value: V, expiresAt: number): void {
    this.#map.delete(key);
    if (expiresAt <= this.#now()) return;
    this.#map.set(key, { value, expiresAt });
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
  }

  /** Whether a live entry is under `key` (recency unchanged). */
  has(key: string): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    if (slot.expiresAt > this.#now()) return true;
    this.#map.delete(key);
    return false;
  }

  /** Remove `key`. */
  delete(key: string): void {
    this.#map.delete(key);
  }

  /** Remove everything. */
  clear(): void {
    this.#map.clear();
  }
}
