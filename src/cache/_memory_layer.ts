/**
 * The in-process layer of the token-set cache: valid access tokens keyed by
 * the token itself (the process holds it anyway, nothing leaves it), so a hit
 * is one map lookup and one clock read. Bounded in entries and bytes; the
 * oldest entry goes first. Each entry is served only until its recheck is
 * due, then the store is asked again (revocations made elsewhere).
 *
 * @module
 */
import { BoundedMap } from "../_bounded_map.ts";

/** An access token known valid. */
interface LayerEntry {
  /** Served without asking the store until then: min(expiry, last check + recheck), ms. */
  fresh: number;
  /** The end of the entry's own life (ttl, never past the token's exp), ms. */
  expiresAt: number;
  /** The user's key, for a sign-out of every session. */
  user: string | null;
}

/** The bounds of the layer. */
export interface MemoryLayerBounds {
  maxEntries: number;
  maxBytes: number;
  recheckMs: number;
}

/** Valid access tokens in process; insertion order is eviction order. */
export class MemoryLayer {
  #map: BoundedMap<string, LayerEntry>;
  #recheckMs: number;
  #now: () => number;

  constructor(bounds: MemoryLayerBounds, now: () => number) {
    // An entry past its recheck stays (unserved) until evicted or replaced.
    this.#map = new BoundedMap(bounds.maxEntries, {
      maxWeight: bounds.maxBytes,
      weigh: (token) => token.length + 96,
    });
    this.#recheckMs = bounds.recheckMs;
    this.#now = now;
  }

  /** Whether `token` is known valid and not yet due for a recheck. */
  hit(token: string): boolean {
    const entry = this.#map.get(token);
    return entry !== undefined && entry.fresh > this.#now();
  }

  /** Keep `token` as valid until `expiresAt` (ms), rechecked within the bound. */
  set(token: string, expiresAt: number, user: string | null): void {
    const fresh = Math.min(expiresAt, this.#now() + this.#recheckMs);
    this.#map.set(token, { fresh, expiresAt, user });
  }

  /**
   * Whether `token` was known valid here and its entry's life has not ended,
   * recheck due or not: what the cache may still answer when neither the
   * store nor the upstream can be asked.
   */
  alive(token: string): boolean {
    const entry = this.#map.get(token);
    return entry !== undefined && entry.expiresAt > this.#now();
  }

  /** Forget `token`; `true` when it was there. */
  delete(token: string): boolean {
    return this.#map.delete(token);
  }

  /** Forget every token of a user. */
  deleteUser(user: string): void {
    for (const [token, entry] of this.#map.entries()) {
      if (entry.user === user) this.#map.delete(token);
    }
  }
}
