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

/** The upstream operations the cache falls back on, supplied by the client. */
export interface TokenSetUpstream {
  /** Ask upstream whether the access token is valid (`false` on 401/403; throws on outage). */
  validate(accessToken: string): Promise<boolean>;
  /** Exchange the refresh token for a new pair (throws if it is invalid). */
  refresh(refreshToken: string): Promise<TokenPair>;
}

/**
 * What the client calls when `tokenCache` is configured. Implemented by
 * `TokenSetCache` in `src/cache/token_set_cache.ts`.
 */
export interface TokenSetCacheLike {
  /** `validateAccessToken` through the cache. */
  validateAccessToken(accessToken: string, upstream: TokenSetUpstream): Promise<boolean>;
  /**
   * `validateTokenSet` through the cache, with single-flight and the refresh
   * grace window. Throws `AuthLiteTokenSetError` when the set is invalid.
   */
  validateTokenSet(
    accessToken: string,
    refreshToken: string | undefined,
    upstream: TokenSetUpstream,
  ): Promise<TokenCheck>;
  /** Forget every entry of these tokens (called by `revokeToken`). */
  forget(tokens: readonly string[]): Promise<void>;
}
