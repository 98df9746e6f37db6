/**
 * The options and counters of the token-set cache, checked once, and the
 * state its mechanisms share.
 *
 * @module
 */
import type { KVStore } from "./store.ts";
import type { AuthLiteObserver } from "../_events.ts";
import { AuthLiteInputError } from "../errors.ts";

/** Options of the in-process layer (valid access tokens, keyed by the token itself). */
export interface MemoryLayerOptions {
  /** The most entries kept in process (default 10 000). */
  maxEntries?: number;
  /** The most bytes of tokens kept in process, roughly (default 16 MiB). */
  maxBytes?: number;
  /**
   * How long an entry may be served from process memory before it is checked
   * against the store again, in seconds (default 1). This bounds how late
   * this process sees a revoke made by another process sharing the store.
   */
  recheckSeconds?: number;
}

/** What went wrong with the store; reported to {@linkcode TokenSetCacheOptions.onError}. */
export interface TokenSetCacheErrorEvent {
  /** The store operation (`get` for any read, one key or several). */
  operation: "get" | "put" | "delete" | "putIfAbsent";
  /**
   * `error`: the store threw or rejected; `timeout`: it did not answer within
   * `storeTimeoutMs`; `garbage`: it returned a value that is not an entry of
   * ours (malformed, tampered with, moved from another key, or sealed with
   * another secret); `rejected-open`: refused at once, without a store
   * call, because the store's circuit breaker is open.
   */
  reason: "error" | "timeout" | "garbage" | "rejected-open";
  /** The store's own error, when `reason` is `error`. The store never sees a token or the secret. */
  error?: unknown;
}

/** Counters of a `TokenSetCache`, for metrics. */
export interface TokenSetCacheStats {
  /** Answers from the in-process layer (no store call). */
  memoryHits: number;
  /** Answers from the store. */
  storeHits: number;
  /** Lookups that found nothing usable. */
  misses: number;
  /** Refreshed pairs served from the grace window (refreshed here or by another instance). */
  graceHits: number;
  /** Validations sent upstream. */
  upstreamValidations: number;
  /** Refreshes sent upstream. */
  upstreamRefreshes: number;
  /** Refresh claims lost to another caller (which then waited for its pair). */
  claimsLost: number;
  /** Cached entries refused because of a revocation (tombstone or watermark). */
  revokedRefusals: number;
  /** Store calls that threw or rejected. */
  storeErrors: number;
  /** Store calls that timed out. */
  storeTimeouts: number;
  /** Store calls refused at once by the open circuit breaker (no call made). */
  storeRejections: number;
  /** Store values that were not valid entries. */
  garbage: number;
}

/** Options of `TokenSetCache`. */
export interface TokenSetCacheOptions {
  /** Where entries are kept. */
  store: KVStore;
  /** The organisation's secret key: keys and values are derived from it. */
  secretKey: string;
  /** Lifetime of an entry in seconds (default 60), never beyond the token's expiry. */
  ttlSeconds?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
  /**
   * How long, in seconds, a refreshed pair is handed to callers that still
   * present the old pair (default 30; 0 disables, and with it the waiting
   * for another instance's refresh).
   */
  graceSeconds?: number;
  /** Bound on each store call in milliseconds (default 250); a slower call is a miss. */
  storeTimeoutMs?: number;
  /**
   * The circuit breaker on the calls of a remote store: after `failures`
   * failures in a row (default 5) the store is not called for
   * `halfOpenAfterMs` (default 1000), each call refused in microseconds (a
   * miss, or a refresh answered `ERR_UNAVAILABLE`); then one probe call
   * decides. `false` disables it. A `memoryStore()` has none.
   */
  storeBreaker?: { failures?: number; halfOpenAfterMs?: number } | false;
  /**
   * How long a caller that lost a refresh claim waits for the winner's pair,
   * in milliseconds (default 2000); after that it asks upstream itself.
   */
  claimWaitMs?: number;
  /**
   * The in-process layer of valid access tokens in front of the store
   * (default `{ maxEntries: 10_000, maxBytes: 16 MiB, recheckSeconds: 1 }`);
   * `false` disables it.
   */
  memoryLayer?: MemoryLayerOptions | false;
  /** Prefix of every store key (default `"authlite:ts:v1:"`). */
  keyPrefix?: string;
  /** Called when the store fails; the call itself goes on as a cache miss. */
  onError?: (event: TokenSetCacheErrorEvent) => void;
  /**
   * Told of every store call (with its duration), cache hit and miss, refresh
   * outcome and revoke; must be cheap and must not throw. No event carries a
   * token, a key or the secret.
   */
  observe?: AuthLiteObserver;
}

/** The options after checks, with every default applied. */
export interface CacheConfig {
  store: KVStore;
  secretKey: string;
  ttlMs: number;
  graceMs: number;
  timeoutMs: number;
  claimWaitMs: number;
  now: () => number;
  prefix: string;
  onError: ((event: TokenSetCacheErrorEvent) => void) | undefined;
  observe: AuthLiteObserver | undefined;
  breaker: { failures: number; halfOpenAfterMs: number } | false;
  /** `null`: no in-process layer. */
  layer: { maxEntries: number; maxBytes: number; recheckMs: number } | null;
}

function positive(name: string, value: number, allowZero = false): number {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)
  ) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      `Invalid option: ${name} must be a ${allowZero ? "non-negative" : "positive"} number`,
    );
  }
  return value;
}

/** Check `options` and apply the defaults. */
export function resolveOptions(options: TokenSetCacheOptions): CacheConfig {
  const store = options?.store;
  if (
    typeof store?.get !== "function" || typeof store.put !== "function" ||
    typeof store.delete !== "function"
  ) {
    throw new AuthLiteInputError("ERR_CONFIG", "Invalid option: store must be a KVStore");
  }
  if (typeof options.secretKey !== "string" || options.secretKey === "") {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      "Invalid option: secretKey must be a non-empty string",
    );
  }
  const layer = options.memoryLayer ?? {};
  let bounds: CacheConfig["layer"] = null;
  if (layer !== false) {
    const max = layer.maxEntries ?? 10_000;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new AuthLiteInputError(
        "ERR_CONFIG",
        "Invalid option: memoryLayer.maxEntries must be a positive integer",
      );
    }
    bounds = {
      maxEntries: max,
      maxBytes: positive("memoryLayer.maxBytes", layer.maxBytes ?? 16 * 1024 * 1024),
      recheckMs: positive("memoryLayer.recheckSeconds", layer.recheckSeconds ?? 1) * 1000,
    };
  }
  const b = options.storeBreaker ?? {};
  const failures = b === false ? 1 : b.failures ?? 5;
  if (!Number.isSafeInteger(failures) || failures < 1) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      "Invalid option: storeBreaker.failures must be a positive integer",
    );
  }
  const breaker = b === false ? false : {
    failures,
    halfOpenAfterMs: positive("storeBreaker.halfOpenAfterMs", b.halfOpenAfterMs ?? 1000),
  };
  return {
    store,
    secretKey: options.secretKey,
    breaker,
    ttlMs: positive("ttlSeconds", options.ttlSeconds ?? 60) * 1000,
    graceMs: positive("graceSeconds", options.graceSeconds ?? 30, true) * 1000,
    timeoutMs: positive("storeTimeoutMs", options.storeTimeoutMs ?? 250),
    claimWaitMs: positive("claimWaitMs", options.claimWaitMs ?? 2000, true),
    now: options.now ?? Date.now,
    prefix: options.keyPrefix ?? "authlite:ts:v1:",
    onError: options.onError,
    observe: options.observe,
    layer: bounds,
  };
}
