/**
 * Sessions of any Web `Request`: `sessionFromRequest(request, options)` reads
 * the authlite session of a request (the session cookies set by
 * `authRoutes()` or the gateway, or `Authorization: Bearer <access token>`),
 * validates and refreshes it through the client and its token cache, and
 * answers the user and the `Set-Cookie` lines to send back. For Next.js route
 * handlers and middleware, SvelteKit hooks, Astro middleware, Remix loaders:
 * anything that hands you a `Request`. No framework is needed (not even Hono).
 *
 * @example Read the session of a request
 * ```ts
 * import { AuthLiteClient } from "@authlite/authlite";
 * import { sessionFromRequest } from "@authlite/authlite/web";
 *
 * const options = {
 *   client: new AuthLiteClient({ apiKey: "key", secretKey: "secret", orgId: "org" }),
 *   sessionSecret: "the session secret of authRoutes(), 32+ chars",
 * };
 * const { session, setCookie } = await sessionFromRequest(new Request("http://x/"), options);
 * console.assert(session === null && setCookie.length === 0);
 * ```
 *
 * @module
 */
import { parseCookies } from "./_cookie.ts";
import { type SessionOptions, SessionResolver, type SessionResult } from "./_resolver.ts";

export type { SessionOptions, SessionResult, SessionSource } from "./_resolver.ts";
export type { SessionCookieOptions } from "./_session_cookies.ts";
export type { Session } from "./session.ts";

// One resolver per options object: its caches (the users read, the profile
// cookies verified) live as long as the options do.
const resolvers = new WeakMap<SessionOptions, SessionResolver>();

/**
 * The session of a Web `Request`: from `Authorization: Bearer <access token>`
 * or the session cookies, validated through the client (and its token
 * cache), refreshed when the access token has expired, with the user's
 * current roles. Send every line of `setCookie` back as a `Set-Cookie`
 * header: rotated tokens after a refresh, cleared cookies after the upstream
 * ended the session. An outage never clears them: then `session` is `null`
 * (or the user with their last known roles, `stale: true`) and `error` says
 * why (`ERR_UNAVAILABLE`: answer 503 with `Retry-After`).
 *
 * Keep one `options` object for the process: the resolver and its caches are
 * kept with it.
 *
 * @param request the request
 * @param options the client, the session secret (the one `authRoutes()`
 *   signs with), the cookie settings, `staleRolesMaxSeconds`
 * @returns the session (or `null`), the `Set-Cookie` lines, and the details
 * @throws {AuthLiteInputError} `ERR_CONFIG` when the options are invalid
 * @example
 * ```ts
 * import { AuthLiteClient } from "@authlite/authlite";
 * import { sessionFromRequest } from "@authlite/authlite/web";
 * const options = {
 *   client: new AuthLiteClient({ apiKey: "key", secretKey: "secret", orgId: "org" }),
 *   sessionSecret: "the session secret of authRoutes(), 32+ chars",
 * };
 * async function handle(request: Request): Promise<Response> {
 *   const { session, setCookie } = await sessionFromRequest(request, options);
 *   const res = Response.json({ user: session });
 *   for (const line of setCookie) res.headers.append("set-cookie", line);
 *   return res;
 * }
 * console.assert((await handle(new Request("http://x/"))).status === 200);
 * ```
 */
export async function sessionFromRequest(
  request: Request,
  options: SessionOptions,
): Promise<SessionResult> {
  let resolver = resolvers.get(options);
  if (resolver === undefined) {
    resolver = new SessionResolver(options);
    resolvers.set(options, resolver);
  }
  return await resolver.resolve(
    request.headers.get("authorization"),
    parseCookies(request.headers.get("cookie")),
  );
}
