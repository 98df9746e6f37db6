/**
 * The one table of the client's operations that the gateway serves: each
 * operation's name (the client's own method path, e.g. `validateTokenSet`,
 * `roles.query`), its input and output schemas, its call and its types. The
 * RPC routes, their OpenAPI document and the Worker's service-binding
 * methods all come from it, and so do the types: {@linkcode RpcOperations}
 * and {@linkcode OperationName} are computed from the table, and the route
 * types of `hono/client` from them.
 *
 * Adding an operation: the client's method, then one entry here,
 * `op(summary, inputSchema, outputSchema, run) as Operation<Input, Result>`.
 * `Input` is the JSON body the operation takes and `Result` what the client
 * answers (the reply is `Result` in JSON). `op` checks at compile time that
 * the schemas take exactly `Input` and answer exactly `Result` in JSON, so
 * the schemas and the types cannot drift; the cast gives the table an
 * explicit type, which JSR needs (no slow types) and from which the rest is
 * computed. Nothing else lists the operations.
 *
 * @module
 */
import type { z } from "@hono/zod-openapi";
import type { JSONParsed } from "hono/utils/types";
import type {
  AuthLiteClient,
  ReAuthResult,
  Role,
  RoleAssignment,
  RoleAssignmentOptions,
  RolePermissions,
  RoleQueryMatch,
  TokenCheck,
  TokenPair,
  User,
  UserData,
} from "../client/mod.ts";
import {
  AccessTokenInput,
  AddRoleInput,
  AssignInput,
  CodeInput,
  CountSchema,
  EditUserUrlInput,
  EmptySchema,
  ReAuthResultSchema,
  RefreshTokenInput,
  RevokedSchema,
  RevokeInput,
  RoleAssignmentSchema,
  RoleListSchema,
  RolePermissionsInput,
  RolePermissionsSchema,
  RoleQueryInput,
  RoleQueryResultSchema,
  RoleSchema,
  RoleValidateInput,
  RolIdInput,
  TokenCheckSchema,
  TokenPairSchema,
  TokenSetInput,
  UpdateRoleInput,
  UrlSchema,
  UserDataSchema,
  UserSchema,
  UserTokenInput,
  ValidSchema,
} from "./schemas.ts";

/** Permissions in a request: one map or a list of maps. */
export type PermissionsRequest = Record<string, string> | Record<string, string>[];
/** One role id or several. */
export type RoleIdsRequest = string | string[];
/** The sign-off settings of a role assignment. */
export interface AssignmentRequest {
  /** Re-issue the user's session with the new roles (needs both tokens). */
  signoffSessionAndAssign?: boolean | undefined;
  /** The user's access token (sign-off). */
  accessToken?: string | undefined;
  /** The user's refresh token (sign-off). */
  refreshToken?: string | undefined;
}

/**
 * Every operation of the table: its JSON input and its JSON reply, as
 * `hono/client` sees them. The replies are the client's own result types
 * as they travel in JSON. Computed from the table.
 */
export type RpcOperations = {
  [N in OperationName]: Table[N] extends Operation<infer I, infer O> ? {
      input: I;
      output: JSONParsed<O>;
    }
    : never;
};

/**
 * The type of the table: each operation's name and its `Operation` type.
 *
 * @internal the table is the gateway's; {@linkcode RpcOperations} is its public face
 */
type Table = typeof operations;

/** The name of an operation: the client's method path. */
export type OperationName = keyof Table;

/** The route path of an operation under `/rpc`: `roles.query` → `roles/query`. */
export type OperationPath<N extends string> = N extends `${infer A}.${infer B}` ? `${A}/${B}`
  : N;

/**
 * One operation of the table: it takes an `I` in JSON and answers what the
 * client answers, an `O` (the reply is `O` in JSON).
 *
 * @internal the gateway's own; {@linkcode RpcOperations} is its public face
 */
export interface Operation<I, O> {
  /** One line for the OpenAPI document. */
  readonly summary: string;
  /** The JSON body's schema: it takes an `I`. */
  readonly input: z.ZodType<unknown, I>;
  /** The reply's schema. */
  readonly output: z.ZodType;
  /** Whether a body must be sent (when not, no body means `{}`). */
  readonly bodyRequired: boolean;
  /**
   * Run the operation.
   *
   * @param client the client
   * @param input the input, validated by {@linkcode Operation.input}
   * @returns the client's answer
   */
  run(client: AuthLiteClient, input: never): Promise<O>;
}

/**
 * `A` and `B` take the same values and have the same keys (an optional key
 * too many is a difference).
 */
type Same<A, B> = [A] extends [B]
  ? [B] extends [A] ? [keyof A] extends [keyof B] ? [keyof B] extends [keyof A] ? true : false
    : false
  : false
  : false;

/** `T` when the schema's type `Found` is the declared `Declared`, else an error naming both. */
type Checked<T, Found, Declared, What extends string> = Same<Found, Declared> extends true ? T
  : T & { [K in What]: { declared: Declared; butTheSchemaHas: Found } };

/**
 * One entry of the table. `I` and `O` are not given here: they come from the
 * entry's cast, `op(...) as Operation<I, O>`, and the schemas are checked
 * against them.
 *
 * @param summary one line for the OpenAPI document
 * @param input the JSON body's schema: it must take exactly an `I`
 * @param output the reply's schema: in JSON, exactly an `O` in JSON
 * @param run the call, with the validated input
 * @param bodyRequired whether a body must be sent (default `true`)
 * @returns the operation
 */
export function op<I, O, IS extends z.ZodType, OS extends z.ZodType>(
  summary: string,
  input: Checked<IS, z.input<IS>, NoInfer<I>, "input">,
  output: Checked<OS, JSONParsed<z.output<OS>>, NoInfer<JSONParsed<O>>, "reply">,
  run: (client: AuthLiteClient, input: z.output<IS>) => Promise<NoInfer<O>>,
  bodyRequired = true,
): Operation<I, O> {
  const entry = { summary, input, output, run, bodyRequired };
  return entry as unknown as Operation<I, O>;
}

/** Only the keys that are set: `exactOptionalPropertyTypes` keeps `undefined` out. */
function defined<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

function assignment(body: AssignmentRequest): RoleAssignmentOptions {
  return defined({
    signoffSessionAndAssign: body.signoffSessionAndAssign,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
  });
}

/**
 * The table: every operation, by name. Each entry's cast names its JSON input
 * and the client's answer; `op` checks the schemas against them.
 */
export const operations = {
  generateUrl: op(
    "The login URL",
    EmptySchema,
    UrlSchema,
    (c) => Promise.resolve({ url: c.generateUrl() }),
    false,
  ) as Operation<Record<string, never>, { url: string }>,
  generateEditUserUrl: op(
    "The URL of the user's profile settings",
    EditUserUrlInput,
    UrlSchema,
    async (c, i) => ({ url: await c.generateEditUserUrl(i.accessToken, i.redirectUrl) }),
  ) as Operation<{ accessToken: string; redirectUrl: string }, { url: string }>,
  reAuth: op(
    "Exchange a profile code",
    CodeInput,
    ReAuthResultSchema,
    (c, i) => c.reAuth(i.code),
  ) as Operation<{ code: string }, ReAuthResult>,
  getUser: op(
    "Exchange a login code",
    UserTokenInput,
    UserSchema,
    (c, i) => c.getUser(i.userToken),
  ) as Operation<{ userToken: string }, User>,
  getUserData: op(
    "A user's profile",
    AccessTokenInput,
    UserDataSchema,
    (c, i) => c.getUserData(i.accessToken),
  ) as Operation<{ accessToken: string }, UserData>,
  getAccessTokenFromRefreshToken: op(
    "Refresh a session",
    RefreshTokenInput,
    TokenPairSchema,
    (c, i) => c.getAccessTokenFromRefreshToken(i.refreshToken),
  ) as Operation<{ refreshToken: string }, TokenPair>,
  validateAccessToken: op(
    "Whether an access token is valid",
    AccessTokenInput,
    ValidSchema,
    async (c, i) => ({ valid: await c.validateAccessToken(i.accessToken) }),
  ) as Operation<{ accessToken: string }, { valid: boolean }>,
  revokeToken: op(
    "Revoke tokens",
    RevokeInput,
    RevokedSchema,
    async (c, i) => ({ revoked: await c.revokeToken(defined(i)) }),
  ) as Operation<
    {
      accessToken?: string | undefined;
      refreshToken?: string | undefined;
      revokeAllTokens?: boolean | undefined;
    },
    { revoked: boolean }
  >,
  validateTokenSet: op(
    "Validate a token set, refreshing it when needed (cached)",
    TokenSetInput,
    TokenCheckSchema,
    (c, i) => c.validateTokenSet(i.accessToken, i.refreshToken),
  ) as Operation<{ accessToken: string; refreshToken?: string | undefined }, TokenCheck>,
  attachRole: op(
    "Give roles to a user",
    AssignInput,
    RoleAssignmentSchema,
    (c, i) => c.attachRole(i.uid, i.rolIds, assignment(i)),
  ) as Operation<{ uid: string; rolIds: RoleIdsRequest } & AssignmentRequest, RoleAssignment>,
  removeRole: op(
    "Take roles away",
    AssignInput,
    RoleAssignmentSchema,
    (c, i) => c.removeRole(i.uid, i.rolIds, assignment(i)),
  ) as Operation<{ uid: string; rolIds: RoleIdsRequest } & AssignmentRequest, RoleAssignment>,
  updateRole: op(
    "Give and take roles in one call",
    UpdateRoleInput,
    RoleAssignmentSchema,
    (c, i) => c.updateRole(i.uid, i.rolIdsToAdd, i.rolIdsToRemove, assignment(i)),
  ) as Operation<
    & { uid: string; rolIdsToAdd: RoleIdsRequest; rolIdsToRemove: RoleIdsRequest }
    & AssignmentRequest,
    RoleAssignment
  >,
  "roles.getAllRoles": op(
    "Every role",
    EmptySchema,
    RoleListSchema,
    async (c) => ({ roles: await c.roles.getAllRoles() }),
    false,
  ) as Operation<Record<string, never>, { roles: Role[] }>,
  "roles.addRole": op(
    "Create a role",
    AddRoleInput,
    RoleSchema,
    (c, i) => c.roles.addRole(i.name, i.permissions),
  ) as Operation<{ name: string; permissions: PermissionsRequest }, Role>,
  "roles.deleteRole": op(
    "Delete a role",
    RolIdInput,
    RoleSchema,
    (c, i) => c.roles.deleteRole(i.rolId),
  ) as Operation<{ rolId: string }, Role>,
  "roles.addPermission": op(
    "Add permissions to a role",
    RolePermissionsInput,
    RolePermissionsSchema,
    (c, i) => c.roles.addPermission(i.rolId, i.permissions),
  ) as Operation<{ rolId: string; permissions: PermissionsRequest }, RolePermissions>,
  "roles.deletePermission": op(
    "Remove permissions from a role",
    RolePermissionsInput,
    RolePermissionsSchema,
    (c, i) => c.roles.deletePermission(i.rolId, i.permissions),
  ) as Operation<{ rolId: string; permissions: PermissionsRequest }, RolePermissions>,
  "roles.query": op(
    "Find roles in the local role cache",
    RoleQueryInput,
    RoleQueryResultSchema,
    async (c, i) => ({ matches: await c.roles.query(defined(i)) }),
    false,
  ) as Operation<
    { roleId?: string | undefined; permissionKey?: string | undefined },
    { matches: RoleQueryMatch[] }
  >,
  "roles.validate": op(
    "Whether a role grants a permission (local role cache)",
    RoleValidateInput,
    ValidSchema,
    async (c, i) => ({ valid: await c.roles.validate(i.roleId, i.key, i.value) }),
  ) as Operation<{ roleId: string; key: string; value: string }, { valid: boolean }>,
  "roles.count": op(
    "How many roles there are",
    EmptySchema,
    CountSchema,
    async (c) => ({ count: await c.roles.count() }),
    false,
  ) as Operation<Record<string, never>, { count: number }>,
};

/**
 * The route path of an operation under `/rpc`.
 *
 * @param name the operation's name
 * @returns its path, e.g. `/roles/query`
 */
export function operationPath<N extends OperationName>(name: N): `/${OperationPath<N>}` {
  return `/${name.replace(".", "/")}` as `/${OperationPath<N>}`;
}

/** The names of every operation, in the table's order. */
export const operationNames: readonly OperationName[] = Object.keys(operations) as OperationName[];
