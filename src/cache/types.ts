/**
 * The seam between the client and the token-set cache.
 *
 * @module
 */

/** A pair of tokens as the upstream issues them. */
export interface TokenPair {
  /** The access token. */
  accessToken: string;
  /** The refresh token. */
  refreshToken: string;
}

/**
 * The answer of `AuthLiteClient.validateTokenSet`: `{state, access, refresh}`
 * as TrustAuthX documents it.
 */
export interface TokenCheck {
  /** `true`: the access token given is valid; `false`: it was refreshed. */
  state: boolean;
  /** The access token to use from now on. */
  access: string;
  /** The refresh token to use from now on (`null` if none was given and none was needed). */
  refresh: string | null;
}

/** The upstream operations the token-set check relies on, supplied by the client. */
export interface TokenSetUpstream {
  /** Ask upstream whether the access token is valid (`false` on 401/403; throws on outage). */
  validate(accessToken: string): Promise<boolean>;
  /**
   * Exchange the refresh token for a new pair (throws `AuthLiteTokenSetError`
   * if it is rejected). `accessToken` is the access token presented with it,
   * the one being replaced: the cache hands a pair refreshed a moment ago (by
   * this or another instance) only to a caller holding that same old pair.
   */
  refresh(refreshToken: string, accessToken?: string): Promise<TokenPair>;
}

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
