/**
 * The token-set cache: validated token sets kept in a `KVStore`, so
 * that a request with a good session costs no upstream round-trip. It wraps
 * the client's upstream `validate` and `refresh`; the token-set logic itself
 * lives once, in the client. This file composes the mechanisms, one file each:
 *
 * - `_memory_layer.ts`: valid access tokens in process, keyed by the token
 *   itself (nothing leaves the process): a hit is one map lookup, no hash, no
 *   store call; rechecked against the store every `recheckSeconds`.
 * - `_entries.ts`: the entries in the store, under
 *   `authlite:ts:v1:<tag>:<HMAC-SHA-256 of the token>` (never the token),
 *   AES-256-GCM sealed with the key as additional data, expiry inside.
 * - `_valid.ts`: the lookup and the write of valid access tokens.
 * - `_refresh.ts`: refresh claims and grace (one upstream refresh per
 *   refresh token across the instances, the others handed the same pair).
 * - `_revocation.ts`: tombstones, provisional tombstones and watermarks.
 * - `_store_call.ts`: the one guarded store call (timeout, failures as a
 *   miss, retries of the writes that must land, events).
 *
 * A store that throws, times out or returns garbage is a miss, reported
 * through `onError`; it never makes a token valid and never fails a call.
 *
 * @module
 */
import type { ForgetOptions, TokenPair, TokenSetCacheLike, TokenSetUpstream } from "./types.ts";
import { type Core, createCore } from "./_core.ts";
import { resolveOptions, type TokenSetCacheOptions, type TokenSetCacheStats } from "./_options.ts";
import { validate } from "./_valid.ts";
import { refresh } from "./_refresh.ts";
import { forget } from "./_revocation.ts";
import { AuthLiteInputError } from "../errors.ts";
import { emit } from "../_events.ts";

export type {
  MemoryLayerOptions,
  TokenSetCacheErrorEvent,
  TokenSetCacheOptions,
  TokenSetCacheStats,
} from "./_options.ts";

const TRUE: Promise<boolean> = Promise.resolve(true);
const MEMORY_HIT = { type: "cache", outcome: "memory-hit" } as const;

function requireToken(name: string, token: unknown): asserts token is string {
  if (typeof token !== "string" || token === "") {
    throw new AuthLiteInputError(
      "ERR_BAD_INPUT",
      `Invalid argument: ${name} must be a non-empty string`,
    );
  }
}

/**
 * Validated token sets kept in a `KVStore`: what the client uses
 * when its `tokenCache` option is set. It wraps the client's upstream
 * operations ({@linkcode TokenSetCache.wrap}).
 *
 * @example
 * ```ts
 * import { TokenSetCache } from "./token_set_cache.ts";
 * import { memoryStore } from "@authlite/authlite";
 * const cache = new TokenSetCache({ store: memoryStore(), secretKey: "s3cret" });
 * let calls = 0;
 * const upstream = cache.wrap({
 *   validate: () => Promise.resolve(++calls > 0),
 *   refresh: () => Promise.reject(new Error("Not used")),
 * });
 * await upstream.validate("token");
 * await upstream.validate("token");
 * console.assert(calls === 1);
 * ```
 */
export class TokenSetCache implements TokenSetCacheLike {
  #core: Core;

  /**
   * A cache over `options.store`. Synchronous and free of I/O: the keys are
   * derived on first use.
   *
   * @param options the store, the secret and the lifetimes
   * @throws {AuthLiteInputError} `ERR_CONFIG` when an option is invalid
   */
  constructor(options: TokenSetCacheOptions) {
    this.#core = createCore(resolveOptions(options));
  }

  /**
   * A snapshot of the counters.
   *
   * @returns hits, misses, upstream calls and store failures so far
   */
  stats(): TokenSetCacheStats {
    const { errors, timeouts, rejected } = this.#core.store.failures;
    return {
      ...this.#core.stats,
      storeErrors: errors,
      storeTimeouts: timeouts,
      storeRejections: rejected,
    };
  }

  /**
   * The upstream operations with this cache in front: `validate` answers a
   * cached valid token with no upstream call (concurrent misses share one
   * call), and `refresh` is done once per refresh token across every
   * instance sharing the store, the others handed the same new pair.
   *
   * @param upstream the client's upstream operations
   * @returns the same operations, cached and coordinated
   * @throws nothing itself; the operations throw what `upstream` throws,
   *   `AuthLiteInputError` (`ERR_BAD_INPUT`) for a token that is not a
   *   non-empty string, and `AuthLiteTokenSetError` for a rejected refresh token
   *
   * @example
   * ```ts
   * import { TokenSetCache } from "./token_set_cache.ts";
   * import { memoryStore } from "@authlite/authlite";
   * const cache = new TokenSetCache({ store: memoryStore(), secretKey: "s3cret" });
   * const cached = cache.wrap({
   *   validate: () => Promise.resolve(true),
   *   refresh: () => Promise.reject(new Error("Not used")),
   * });
   * console.assert(await cached.validate("token"));
   * ```
   */
  wrap(upstream: TokenSetUpstream): TokenSetUpstream {
    const core = this.#core;
    const { layer, stats } = core;
    const observe = core.config.observe;
    // The hot path: one map lookup and one clock read.
    const cached = (accessToken: string): boolean => {
      if (layer === null || !layer.hit(accessToken)) return false;
      stats.memoryHits++;
      if (observe !== undefined) emit(observe, MEMORY_HIT);
      return true;
    };
    return {
      cached,
      validate: (accessToken: string): Promise<boolean> => {
        if (cached(accessToken)) return TRUE;
        requireToken("accessToken", accessToken);
        return validate(core, accessToken, upstream);
      },
      refresh: (refreshToken: string, accessToken?: string): Promise<TokenPair> => {
        requireToken("refreshToken", refreshToken);
        if (accessToken !== undefined) requireToken("accessToken", accessToken);
        return refresh(core, upstream, refreshToken, accessToken);
      },
    };
  }

  /**
   * Forget every entry of these tokens, in process and in the store, so the
   * next validation of any of them goes upstream, here and (within
   * `memoryLayer.recheckSeconds` with a strongly consistent store) on every
   * instance sharing the store. Tokens the cache knew as valid, or whose
   * revoke the upstream confirmed, also get a tombstone in the store, which a
   * validation racing the revoke cannot overwrite. With `all` and a confirmed
   * revoke, every session of the user validated before now is refused (a
   * watermark). A store failure is retried, reported through `onError`, and
   * the revoke is kept in process: never lost, never thrown.
   *
   * @param tokens access or refresh tokens
   * @param options whether every token of the user was revoked, and whether the upstream confirmed it
   * @returns when the store has been told (or has failed every attempt)
   * @throws nothing
   *
   * @example
   * ```ts
   * import { TokenSetCache } from "./token_set_cache.ts";
   * import { memoryStore } from "@authlite/authlite";
   * const cache = new TokenSetCache({ store: memoryStore(), secretKey: "s3cret" });
   * await cache.forget(["access-token", "refresh-token"], { confirmed: true });
   * ```
   */
  forget(tokens: readonly string[], options: ForgetOptions = {}): Promise<void> {
    return forget(this.#core, tokens, options);
  }
}
