/**
 * authlite: a TrustAuthX client for TypeScript that verifies every signed
 * reply, keeps secrets out of its errors, times out, retries what is safe to
 * retry, and keeps the organisation's roles in a local cache. It runs on
 * Deno, Bun, Node, Cloudflare Workers and in browsers (keep the secret key
 * on a server).
 *
 * @example Log a user in and check their session
 * ```ts ignore
 * import { AuthLiteClient, AuthLiteError } from "@authlite/authlite";
 *
 * const client = new AuthLiteClient({
 *   apiKey: "key_demo",
 *   secretKey: "your-secret-key",
 *   orgId: "org_demo",
 * });
 *
 * // 1. Send the browser to the login widget.
 * const loginUrl = client.generateUrl();
 *
 * // 2. TrustAuthX redirects back with ?code=..: exchange it.
 * const user = await client.getUser("code-from-the-callback");
 *
 * // 3. On later requests, validate (and refresh) the session.
 * try {
 *   const { state, access, refresh } = await client.validateTokenSet(
 *     user.accessToken,
 *     user.refreshToken,
 *   );
 *   if (!state) {
 *     // the tokens were refreshed: store `access` and `refresh`
 *   }
 * } catch (err) {
 *   if (err instanceof AuthLiteError && err.code === "ERR_INVALID_TOKEN_SET") {
 *     // log in again
 *   }
 * }
 *
 * // 4. Roles, answered from a local cache.
 * const canWrite = await client.roles.validate("rol_editor", "doc", "write");
 * ```
 *
 * @module
 */

export { AuthLiteClient } from "./src/client/client.ts";
export type { AuthLiteClientOptions, FetchLike, TokenCacheTuning } from "./src/client/options.ts";
export type {
  MemoryLayerOptions,
  TokenSetCacheErrorEvent,
  TokenSetCacheOptions,
  TokenSetCacheStats,
} from "./src/cache/token_set_cache.ts";
export type { Roles } from "./src/client/roles.ts";
export type {
  Claims,
  PermissionsInput,
  PlainRoleAssignment,
  ReAuthResult,
  RevokeTokenOptions,
  Role,
  RoleAssignment,
  RoleAssignmentOptions,
  RolePermissions,
  RoleQuery,
  RoleQueryMatch,
  SignedOffRoleAssignment,
  TokenCheck,
  TokenPair,
  User,
  UserData,
} from "./src/client/types.ts";

export {
  AuthLiteError,
  AuthLiteHttpError,
  AuthLiteInputError,
  AuthLiteNetworkError,
  AuthLiteReplyError,
  AuthLiteTokenSetError,
} from "./src/client/errors.ts";
export type { AuthLiteErrorCode, AuthLiteErrorOptions } from "./src/client/errors.ts";

export { signApiKey } from "./src/client/signing.ts";
export { verifySignedReply } from "./src/client/verify.ts";
export type { VerifySignedReplyOptions } from "./src/client/verify.ts";

export type { KVPutOptions, KVStore } from "./src/cache/store.ts";

// --- Stores (added by the cache helper) ------------------------------------
export { MemoryStore, memoryStore } from "./src/cache/memory_store.ts";
export type { MemoryStoreOptions } from "./src/cache/memory_store.ts";
export { cloudflareKVStore } from "./src/cache/cloudflare_kv_store.ts";
export type { KVNamespaceLike } from "./src/cache/cloudflare_kv_store.ts";
export { denoKVStore } from "./src/cache/deno_kv_store.ts";
export type { DenoKvLike, DenoKVStoreOptions } from "./src/cache/deno_kv_store.ts";
export { redisStore } from "./src/cache/redis_store.ts";
export type {
  BunRedisLike,
  IoRedisLike,
  NodeRedisLike,
  RedisClientLike,
} from "./src/cache/redis_store.ts";
// --- end of stores ---------------------------------------------------------
