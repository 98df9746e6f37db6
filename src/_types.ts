/**
 * The seam between the client and the token-set cache, at the bottom of the
 * layers: the client composes the token-set check and hands the cache its
 * upstream operations; the cache wraps them. Neither declares the other's
 * types.
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

/**
 * The upstream operations the token-set check relies on, supplied by the
 * client (`src/client/token_set.ts`) and wrapped by the cache.
 *
 * What the client's operations throw: `validate` answers `false` only when
 * the upstream says the token is invalid; `refresh` throws
 * `AuthLiteTokenSetError` only when the upstream rejects the refresh token
 * (400/401/403: a logout). Anything else (a 429, 408, 5xx, network error,
 * timeout, open circuit breaker, full queue) is `AuthLiteUnavailableError`:
 * nothing is decided about the session. `AuthLiteCredentialsError` means the
 * organisation's own credentials were rejected.
 *
 * The client runs the cache's `refresh` inside a slot of its bounded upstream
 * queue, so the cache writes its refresh claim only for a request that holds
 * a slot; the `refresh` handed to the cache takes no slot of its own (the
 * cache must therefore not call `validate` from inside `refresh`).
 */
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
  /**
   * Optional, synchronous: `true` when the access token is known valid from
   * process memory alone (no I/O), so the caller can answer at once;
   * `false` says nothing (call `validate`).
   */
  cached?(accessToken: string): boolean;
}
