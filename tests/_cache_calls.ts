/**
 * Test helper: the client's token-set check over a {@linkcode TokenSetCache}
 * wrapped around an upstream, as `AuthLiteClient` composes them.
 *
 * @module
 */
import type { TokenSetCache } from "../src/cache/token_set_cache.ts";
import type { TokenCheck, TokenSetUpstream } from "../src/cache/types.ts";
import { TokenSet } from "../src/client/token_set.ts";

/** `validateTokenSet()` through `cache` in front of `upstream`. */
export function checkSet(
  cache: TokenSetCache,
  accessToken: string,
  refreshToken: string | undefined,
  upstream: TokenSetUpstream,
): Promise<TokenCheck> {
  return new TokenSet({ ops: upstream, cache }).check(accessToken, refreshToken);
}

/** `validateAccessToken()` through `cache` in front of `upstream`. */
export function checkToken(
  cache: TokenSetCache,
  accessToken: string,
  upstream: TokenSetUpstream,
): Promise<boolean> {
  return cache.wrap(upstream).validate(accessToken);
}
