/**
 * The TrustAuthX client: {@linkcode AuthLiteClient}, its options and its result types.
 *
 * @module
 */
export { AuthLiteClient } from "./client.ts";
export type {
  AuthLiteClientOptions,
  FetchLike,
  TokenCacheTuning,
  UpstreamBreakerOptions,
} from "./options.ts";
export type { Roles } from "./roles.ts";
export type {
  Claims,
  CurrentUser,
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
  TokenSetCheckOptions,
  User,
  UserData,
} from "./types.ts";
export { signApiKey } from "./signing.ts";
export { retryAfterOf } from "./transport.ts";
export { verifySignedReply } from "./verify.ts";
export type { VerifySignedReplyOptions } from "./verify.ts";
