/**
 * The in-process layer of the token-set cache: valid access tokens keyed by
 * the token itself (the process holds it anyway, nothing leaves it), so a hit
 * is one map lookup and one clock read. Bounded in entries and bytes; the
 * oldest entry goes first. Each entry is served only until its recheck is
 * due, then the store is asked again (revocations made elsewhere).
 *
 * @module
 */

/** An access token known valid. */
interface LayerEntry {
  /** Served without asking the store until then: min(expiry, last check + recheck), ms. */
  fresh: number;
  /** The user's key, for a sign-out of every session. */
  user: string | null;
  bytes: number;
}

/** The bounds of the layer. */
export interface MemoryLayerBounds {
  maxEntries: number;
  maxBytes: number;
  recheckMs: number;
}

/** Valid access tokens in process; insertion order is eviction order. */
export class MemoryLayer {
  #map = new Map<string, LayerEntry>();
  #bytes = 0;
  #bounds: MemoryLayerBounds;
  #now: () => number;

  constructor(bounds: MemoryLayerBounds, now: () => number) {
    this.#bounds = bounds;
    this.#now = now;
  }

  /** Whether `token` is known valid and not yet due for a recheck. */
  hit(token: string): boolean {
    const entry = this.#map.get(token);
    return entry !== undefined && entry.fresh > this.#now();
  }

  /** Keep `token` as valid until `expiresAt` (ms), rechecked within the bound. */
  set(token: string, expiresAt: number, user: string | null): void {
    this.delete(token);
    const bytes = token.length + 96;
    const fresh = Math.min(expiresAt, this.#now() + this.#bounds.recheckMs);
    this.#map.set(token, { fresh, user, bytes });
    this.#bytes += bytes;
    while (this.#map.size > this.#bounds.maxEntries || this.#bytes > this.#bounds.maxBytes) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  /** Forget `token`; `true` when it was there. */
  delete(token: string): boolean {
    const entry = this.#map.get(token);
    if (entry === undefined) return false;
    this.#map.delete(token);
    this.#bytes -= entry.bytes;
    return true;
  }

  /** Forget every token of a user. */
  deleteUser(user: string): void {
    for (const [token, entry] of this.#map) {
      if (entry.user === user) this.delete(token);
    }
  }
}
