/**
 * What the token-set cache's mechanisms share: the checked options, the
 * guarded store, the in-process layer, the revocations, the calls in flight
 * and the counters.
 *
 * @module
 */
import type { CacheConfig, TokenSetCacheStats } from "./_options.ts";
import { GuardedStore } from "./_store_call.ts";
import { EntryStore, type RefreshedEntry } from "./_entries.ts";
import { BoundedMap } from "../_bounded_map.ts";
import { MemoryLayer } from "./_memory_layer.ts";
import { Revocations } from "./_revocation.ts";
import { SingleFlight } from "../_single_flight.ts";
import { deriveKeys } from "./_crypto.ts";

/** The counters the cache keeps itself (the store's failures are counted by the store call). */
export type CacheCounters = Omit<
  TokenSetCacheStats,
  "storeErrors" | "storeTimeouts" | "storeRejections"
>;

/** The shared state of one cache. */
export interface Core {
  config: CacheConfig;
  store: GuardedStore;
  layer: MemoryLayer | null;
  revocations: Revocations;
  /** Concurrent validations of one token, and refreshes of one pair, share one call. */
  flights: SingleFlight;
  stats: CacheCounters;
  /**
   * What the last lookup of an access token that missed found under its key:
   * the refreshed pair, or nothing. The refresh that follows a failed
   * validation takes it from here instead of reading the key a second time.
   */
  missed: BoundedMap<string, RefreshedEntry | null>;
  /** The entries, once the keys are derived (lazily, on first use). */
  entries(): Promise<EntryStore>;
}

/** The state of a cache over `config`; no I/O until the keys are first needed. */
export function createCore(config: CacheConfig): Core {
  const stats: CacheCounters = {
    memoryHits: 0,
    storeHits: 0,
    misses: 0,
    graceHits: 0,
    upstreamValidations: 0,
    upstreamRefreshes: 0,
    claimsLost: 0,
    revokedRefusals: 0,
    garbage: 0,
  };
  const store = new GuardedStore(config.store, {
    timeoutMs: config.timeoutMs,
    now: config.now,
    observe: config.observe,
    onFailure: config.onError,
    breaker: config.breaker,
  });
  let entries: Promise<EntryStore> | null = null;
  return {
    config,
    store,
    layer: config.layer === null ? null : new MemoryLayer(config.layer, config.now),
    revocations: new Revocations(config.now),
    flights: new SingleFlight(),
    stats,
    missed: new BoundedMap(10_000, { now: config.now, touch: true }),
    entries(): Promise<EntryStore> {
      if (entries === null) {
        const made = deriveKeys(config.secretKey).then((keys) =>
          new EntryStore(keys, store, {
            prefix: config.prefix,
            now: config.now,
            onGarbage: () => stats.garbage++,
          })
        );
        entries = made;
        // A failed derivation is tried again on the next call.
        made.catch(() => {
          if (entries === made) entries = null;
        });
      }
      return entries;
    },
  };
}
