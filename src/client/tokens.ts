/**
 * The token operations: refresh, validate, revoke, and the token-set check.
 *
 * @module
 */
import { call, callJson } from "./_context.ts";
import type { ClientContext } from "./_context.ts";
import { AuthLiteHttpError, AuthLiteInputError, AuthLiteTokenSetError } from "../errors.ts";
import { optionalFlag, optionalText, requireText } from "./_input.ts";
import { readBoolean, readTokenPair } from "./schemas.ts";
import type { RevokeTokenOptions, TokenCheck, TokenPair } from "./types.ts";
import type { TokenSetUpstream } from "../cache/mod.ts";

/** `GET /api/user/me/access/token/`: a new token pair for a refresh token. */
export async function refreshTokens(ctx: ClientContext, refreshToken: string): Promise<TokenPair> {
  requireText(refreshToken, "refreshToken");
  const path = "/api/user/me/access/token/";
  const body = await callJson(ctx, {
    method: "GET",
    path,
    query: [["RefreshToken", refreshToken]],
    sensitive: [refreshToken],
  });
  return readTokenPair(body, path);
}

/**
 * `GET /api/user/me/auth/validate/token`: `true` on 200 (the documented
 * success answer, nothing else), `false` on 401 or 403; anything else throws.
 */
export async function validateAccessToken(
  ctx: ClientContext,
  accessToken: string,
): Promise<boolean> {
  requireText(accessToken, "accessToken");
  const path = "/api/user/me/auth/validate/token";
  const reply = await call(ctx, {
    method: "GET",
    path,
    query: [["AccessToken", accessToken]],
    sensitive: [accessToken],
    answers: [401, 403],
  });
  if (reply.status === 200) return true;
  if (reply.status === 401 || reply.status === 403) return false;
  throw new AuthLiteHttpError(reply.status, path, "");
}

/** The tokens a revoke names, checked; at least one. */
export function revokeTargets(options: RevokeTokenOptions): {
  accessToken: string | undefined;
  refreshToken: string | undefined;
  revokeAllTokens: boolean;
} {
  if (typeof options !== "object" || options === null) {
    throw new AuthLiteInputError("ERR_BAD_INPUT", "Missing argument: accessToken or refreshToken");
  }
  const accessToken = optionalText(options.accessToken, "accessToken");
  const refreshToken = optionalText(options.refreshToken, "refreshToken");
  const revokeAllTokens = optionalFlag(options.revokeAllTokens, "revokeAllTokens");
  if (accessToken === undefined && refreshToken === undefined) {
    throw new AuthLiteInputError("ERR_BAD_INPUT", "Missing argument: accessToken or refreshToken");
  }
  return { accessToken, refreshToken, revokeAllTokens };
}

async function revokeOne(
  ctx: ClientContext,
  token: string,
  isAccessToken: boolean,
  revokeAllTokens: boolean,
): Promise<boolean> {
  const path = "/api/user/me/token/";
  const body = await callJson(ctx, {
    method: "DELETE",
    path,
    query: [["Token", token]],
    queryAfter: [
      ["AccessToken", String(isAccessToken)],
      ["SpecificTokenOnly", String(!revokeAllTokens)],
    ],
    sensitive: [token],
  });
  return readBoolean(body, path);
}

/**
 * `DELETE /api/user/me/token/`: revoke the access token, the refresh token,
 * or both (two calls), or with `revokeAllTokens` every token of the user (one
 * call). Answers whether the upstream revoked everything asked.
 */
export async function revokeToken(
  ctx: ClientContext,
  options: RevokeTokenOptions,
): Promise<boolean> {
  const { accessToken, refreshToken, revokeAllTokens } = revokeTargets(options);
  if (accessToken !== undefined) {
    const revoked = await revokeOne(ctx, accessToken, true, revokeAllTokens);
    if (revokeAllTokens || refreshToken === undefined) return revoked;
    return (await revokeOne(ctx, refreshToken, false, false)) && revoked;
  }
  return await revokeOne(ctx, refreshToken as string, false, revokeAllTokens);
}

/**
 * The upstream operations the token-set check (and the token-set cache)
 * relies on. A refresh token the upstream rejects (4xx) becomes an
 * {@linkcode AuthLiteTokenSetError}; an outage stays what it is.
 */
export function tokenSetUpstream(ctx: ClientContext): TokenSetUpstream {
  return {
    validate: (accessToken) => validateAccessToken(ctx, accessToken),
    refresh: async (refreshToken) => {
      try {
        return await refreshTokens(ctx, refreshToken);
      } catch (err) {
        if (err instanceof AuthLiteHttpError && err.status >= 400 && err.status < 500) {
          throw new AuthLiteTokenSetError("Refresh token rejected: log in again", { cause: err });
        }
        throw err;
      }
    },
  };
}

/**
 * The token-set check, the one implementation: a valid access token answers
 * `{state: true}`; otherwise the refresh token buys a new pair
 * (`{state: false}`). `upstream` is the client's own, or the token-set
 * cache's wrapper around it (cached validation, coordinated refresh).
 */
export function validateTokenSet(
  upstream: TokenSetUpstream,
  accessToken: string,
  refreshToken: string | undefined,
): Promise<TokenCheck> {
  if (upstream.cached?.(accessToken) === true) {
    return Promise.resolve({ state: true, access: accessToken, refresh: refreshToken ?? null });
  }
  return checkTokenSet(upstream, accessToken, refreshToken);
}

async function checkTokenSet(
  upstream: TokenSetUpstream,
  accessToken: string,
  refreshToken: string | undefined,
): Promise<TokenCheck> {
  if (await upstream.validate(accessToken)) {
    return { state: true, access: accessToken, refresh: refreshToken ?? null };
  }
  if (refreshToken === undefined) {
    throw new AuthLiteTokenSetError("Access token invalid and no refresh token: log in again");
  }
  const pair = await upstream.refresh(refreshToken, accessToken);
  return { state: false, access: pair.accessToken, refresh: pair.refreshToken };
}
