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

export { AuthLiteClient, signApiKey, verifySignedReply } from "./src/client/mod.ts";
export type {
  AuthLiteClientOptions,
  Claims,
  CurrentUser,
  FetchLike,
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
  Roles,
  SignedOffRoleAssignment,
  TokenCacheTuning,
  TokenCheck,
  TokenPair,
  TokenSetCheckOptions,
  UpstreamBreakerOptions,
  User,
  UserData,
  VerifySignedReplyOptions,
} from "./src/client/mod.ts";

export {
  AuthLiteCredentialsError,
  AuthLiteError,
  AuthLiteHttpError,
  AuthLiteInputError,
  AuthLiteNetworkError,
  AuthLiteReplyError,
  AuthLiteTokenSetError,
  AuthLiteUnavailableError,
} from "./src/errors.ts";
export type {
  AuthLiteErrorCode,
  AuthLiteErrorOptions,
  AuthLiteHttpErrorOptions,
  CredentialName,
} from "./src/errors.ts";
export type { AuthLiteEvent, AuthLiteObserver } from "./src/_events.ts";

export {
  AuthLiteStoreObject,
  cloudflareKVStore,
  denoKVStore,
  durableObjectStore,
  MemoryStore,
  memoryStore,
  redisStore,
} from "./src/cache/mod.ts";
export type {
  AtomicKVStore,
  BunRedisLike,
  DenoKvAtomicLike,
  DenoKvLike,
  DenoKVStoreOptions,
  DurableObjectNamespaceLike,
  DurableObjectStateLike,
  DurableObjectStorageLike,
  DurableObjectStoreOptions,
  DurableObjectStubLike,
  IoRedisLike,
  KVNamespaceLike,
  KVPutOptions,
  KVStore,
  MemoryLayerOptions,
  MemoryStoreOptions,
  NodeRedisLike,
  RedisClientLike,
  TokenSetCacheErrorEvent,
  TokenSetCacheOptions,
  TokenSetCacheStats,
} from "./src/cache/mod.ts";
