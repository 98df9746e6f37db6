/**
 * The token-set cache. (Pass-through for now: the cache helper replaces the
 * body of this class; the constructor and method signatures are the seam.)
 *
 * @module
 */
import type { KVStore } from "./store.ts";
import type { CachedTokenCheck, TokenSetCacheLike, TokenSetUpstream } from "./types.ts";
import { AuthLiteTokenSetError } from "../client/errors.ts";

/** Options of {@linkcode TokenSetCache}. */
export interface TokenSetCacheOptions {
  /** Where entries are kept. */
  store: KVStore;
  /** The organisation's secret key: keys and values are derived from it. */
  secretKey: string;
  /** Lifetime of an entry in seconds (default 60), never beyond the token's expiry. */
  ttlSeconds?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

/** Validated token sets kept in a {@linkcode KVStore}. */
export class TokenSetCache implements TokenSetCacheLike {
  #options: TokenSetCacheOptions;

  /** @param options the store, the secret and the lifetime */
  constructor(options: TokenSetCacheOptions) {
    this.#options = options;
  }

  /** `validateAccessToken` through the cache. */
  validateAccessToken(accessToken: string, upstream: TokenSetUpstream): Promise<boolean> {
    return upstream.validate(accessToken);
  }

  /** `validateTokenSet` through the cache. */
  async validateTokenSet(
    accessToken: string,
    refreshToken: string | undefined,
    upstream: TokenSetUpstream,
  ): Promise<CachedTokenCheck> {
    if (await upstream.validate(accessToken)) {
      return { state: true, access: accessToken, refresh: refreshToken ?? null };
    }
    if (refreshToken === undefined) {
      throw new AuthLiteTokenSetError("Access token invalid and no refresh token: log in again");
    }
    const pair = await upstream.refresh(refreshToken);
    return { state: false, access: pair.accessToken, refresh: pair.refreshToken };
  }

  /** Forget every entry of these tokens. */
  forget(_tokens: readonly string[]): Promise<void> {
    return Promise.resolve();
  }
}
