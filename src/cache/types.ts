/**
 * The seam between the client and the token-set cache.
 *
 * @module
 */

import type { TokenSetUpstream } from "../_types.ts";

// The seam types live at the bottom (src/_types.ts); re-exported here for the cache.
export type { TokenCheck, TokenPair, TokenSetUpstream } from "../_types.ts";

/** Options of {@linkcode TokenSetCacheLike.forget}. */
export interface ForgetOptions {
  /** The revoke was "every token of the user" (`revokeAllTokens`). */
  all?: boolean;
  /** The upstream confirmed the revoke (it answered `true`). */
  confirmed?: boolean;
}

/**
 * What the client calls when `tokenCache` is configured. Implemented by
 * `TokenSetCache` in `src/cache/token_set_cache.ts`: a wrapper around the
 * client's upstream operations, so the token-set logic lives once, in the client.
 */
export interface TokenSetCacheLike {
  /**
   * The upstream operations with the cache in front: a cached `validate`
   * (single-flight, revocations honoured) and a coordinated `refresh` (one
   * upstream refresh per refresh token across the instances sharing the
   * store, the others handed the same new pair).
   */
  wrap(upstream: TokenSetUpstream): TokenSetUpstream;
  /** Forget every entry of these tokens (called by `revokeToken`), here and in the store. */
  forget(tokens: readonly string[], options?: ForgetOptions): Promise<void>;
}
