/**
 * The token operations: refresh, validate, revoke (the token-set check is
 * composed in `token_set.ts`).
 *
 * @module
 */
import { call, callJson } from "./_context.ts";
import type { ClientContext } from "./_context.ts";
import { AuthLiteHttpError, AuthLiteInputError, AuthLiteTokenSetError } from "../errors.ts";
import { optionalFlag, optionalText, requireText } from "./_input.ts";
import { readBoolean, readTokenPair } from "./schemas.ts";
import type { RevokeTokenOptions, TokenPair } from "./types.ts";

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
 * `refreshTokens` as the token-set check needs it: a refresh token the
 * upstream rejects (400, 401 or 403, and nothing else: a 429 or 5xx is an
 * outage) becomes an {@linkcode AuthLiteTokenSetError}, a logout.
 */
export async function redeemRefreshToken(
  ctx: ClientContext,
  refreshToken: string,
): Promise<TokenPair> {
  try {
    return await refreshTokens(ctx, refreshToken);
  } catch (err) {
    if (err instanceof AuthLiteHttpError && REJECTIONS.has(err.status)) {
      throw new AuthLiteTokenSetError("Refresh token rejected: log in again", { cause: err });
    }
    throw err;
  }
}

/** The statuses with which the upstream rejects a refresh token. */
const REJECTIONS: ReadonlySet<number> = new Set([400, 401, 403]);
