/**
 * Test helper: the upstream operations of the token-set cache (`validate`,
 * `refresh`) over real HTTP, as the client sends them. No emulator import, so
 * the workerd test can bundle it into a Worker.
 *
 * @module
 */
import { SignJWT } from "jose";
import type { TokenPair, TokenSetUpstream } from "../src/cache/types.ts";

/** Upstream paths, as docs/wire-protocol.md §5 names them. */
export const VALIDATE_PATH = "/api/user/me/auth/validate/token";
/** The refresh endpoint. */
export const REFRESH_PATH = "/api/user/me/access/token/";

/** Compute the `signed_key` of an organisation (HS256 JWS of `{api_key}`). */
export function signedKey(apiKey: string, secretKey: string): Promise<string> {
  return new SignJWT({ api_key: apiKey })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secretKey));
}

/** An upstream that calls `baseUrl` over HTTP the way the client does. */
export async function httpUpstream(
  baseUrl: string,
  apiKey: string,
  secretKey: string,
  fetchFn: (url: URL, init: RequestInit) => Promise<Response> = (url, init) => fetch(url, init),
): Promise<TokenSetUpstream> {
  const sk = await signedKey(apiKey, secretKey);
  const url = (path: string, params: Record<string, string>) => {
    const u = new URL(path, baseUrl);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    u.searchParams.set("api_key", apiKey);
    u.searchParams.set("signed_key", sk);
    return u;
  };
  return {
    async validate(accessToken: string): Promise<boolean> {
      const res = await fetchFn(url(VALIDATE_PATH, { AccessToken: accessToken }), {
        headers: { accept: "application/json" },
      });
      await res.body?.cancel();
      if (res.status === 200) return true;
      if (res.status === 401 || res.status === 403) return false;
      throw new Error(`Upstream answered ${res.status}`);
    },
    async refresh(refreshToken: string): Promise<TokenPair> {
      const res = await fetchFn(url(REFRESH_PATH, { RefreshToken: refreshToken }), {
        headers: { accept: "application/json" },
      });
      const body = await res.json() as { access_token?: unknown; refresh_token?: unknown };
      if (
        res.status !== 200 || typeof body.access_token !== "string" ||
        typeof body.refresh_token !== "string"
      ) {
        throw new Error(`Refresh failed: ${res.status}`);
      }
      return { accessToken: body.access_token, refreshToken: body.refresh_token };
    },
  };
}
