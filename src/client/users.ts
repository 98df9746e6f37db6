/**
 * The user operations: re-auth, get user, get user data.
 *
 * @module
 */
import { callSigned } from "./_context.ts";
import type { ClientContext } from "./_context.ts";
import { requireText } from "./_input.ts";
import { readReAuth, readUser, readUserData } from "./schemas.ts";
import type { ReAuthResult, User, UserData } from "./types.ts";

/** `GET /api/user/me/widget/re-auth/token`: the fresh session after the user edited their profile. */
export async function reAuth(ctx: ClientContext, code: string): Promise<ReAuthResult> {
  requireText(code, "code");
  const path = "/api/user/me/widget/re-auth/token";
  const claims = await callSigned(ctx, {
    method: "GET",
    path,
    query: [["code", code]],
    sensitive: [code],
  });
  return readReAuth(claims, path);
}

/** `GET /api/user/me/auth/data`: exchange the login code (a UserToken) for the user and their tokens. */
export async function getUser(ctx: ClientContext, userToken: string): Promise<User> {
  requireText(userToken, "userToken");
  const path = "/api/user/me/auth/data";
  const claims = await callSigned(ctx, {
    method: "GET",
    path,
    query: [["UserToken", userToken]],
    sensitive: [userToken],
  });
  return readUser(claims, path);
}

/** `GET /api/user/me/data`: the profile of the user holding this access token. */
export async function getUserData(ctx: ClientContext, accessToken: string): Promise<UserData> {
  requireText(accessToken, "accessToken");
  const path = "/api/user/me/data";
  const claims = await callSigned(ctx, {
    method: "GET",
    path,
    query: [["AccessToken", accessToken]],
    sensitive: [accessToken],
  });
  return readUserData(claims, path);
}
