/**
 * What the gateway (`src/gateway/`) uses of this folder beyond its public
 * entry: the routes' kit, the cookies on a context, the login flow, the error
 * body builders. Not published (no entry of the package points here);
 * `tests/layering.test.ts` lets only the layer right above import it.
 *
 * @module
 */
export { confirmLoginPage, errorPage, isNavigation } from "./_pages.ts";
export {
  isSafeHeaderValue,
  isSameOriginLogout,
  isSameOriginPost,
  LoginFlow,
  type LoginFlowOptions,
  type LoginOrigin,
  loginOrigin,
  safeRedirect,
  safeReturnPath,
} from "./_login.ts";
export { addReplyHeader, isNoStoreJson, noStoreJson, setReplyHeader } from "./_reply.ts";
export { peerOf, rateLimiter, type RateLimitSettings } from "./_rate_limit.ts";
export type { AuthRoutesSchema, MeReply } from "./_schema.ts";
export { appendCookies, requestCookies, SessionCookies } from "./cookies.ts";
export { errorBody, replyOfError } from "./errors.ts";
export { grants, noSessionError } from "./middleware.ts";
export { handOverSession, meHit, sessionOn } from "./_me.ts";
export { type AuthKit, authKit, httpErrorOf, routesOf } from "./routes.ts";
export {
  parseCookies,
  reportedError,
  type Session,
  type SessionCookieOptions,
  sessionOf,
  type SessionResolver,
  type SessionResult,
} from "../web/_internal.ts";
