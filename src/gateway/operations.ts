/**
 * The one table of the client's operations that the gateway serves: each
 * operation's name (the client's own method path, e.g. `validateTokenSet`,
 * `roles.query`), its input and output schemas and its call. The RPC routes,
 * their OpenAPI document and the Worker's service-binding methods all come
 * from it; {@linkcode RpcOperations} is its type, from which the route types
 * of `hono/client` are derived.
 *
 * Adding an operation: the client's method, then one entry here and one line
 * in {@linkcode RpcOperations}.
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
 * as they travel in JSON.
 */
export interface RpcOperations {
  /** The login URL. */
  generateUrl: { input: Record<string, never>; output: { url: string } };
  /** The URL of the user's profile settings. */
  generateEditUserUrl: {
    input: { accessToken: string; redirectUrl: string };
    output: { url: string };
  };
  /** Exchange a profile code. */
  reAuth: { input: { code: string }; output: JSONParsed<ReAuthResult> };
  /** Exchange a login code. */
  getUser: { input: { userToken: string }; output: JSONParsed<User> };
  /** A user's profile. */
  getUserData: { input: { accessToken: string }; output: JSONParsed<UserData> };
  /** Refresh a session. */
  getAccessTokenFromRefreshToken: {
    input: { refreshToken: string };
    output: JSONParsed<TokenPair>;
  };
  /** Whether an access token is valid. */
  validateAccessToken: { input: { accessToken: string }; output: { valid: boolean } };
  /** Revoke tokens. */
  revokeToken: {
    input: {
      accessToken?: string | undefined;
      refreshToken?: string | undefined;
      revokeAllTokens?: boolean | undefined;
    };
    output: { revoked: boolean };
  };
  /** Validate a token set, refreshing it when needed. */
  validateTokenSet: {
    input: { accessToken: string; refreshToken?: string | undefined };
    output: JSONParsed<TokenCheck>;
  };
  /** Give roles to a user. */
  attachRole: {
    input: { uid: string; rolIds: RoleIdsRequest } & AssignmentRequest;
    output: JSONParsed<RoleAssignment>;
  };
  /** Take roles away from a user. */
  removeRole: {
    input: { uid: string; rolIds: RoleIdsRequest } & AssignmentRequest;
    output: JSONParsed<RoleAssignment>;
  };
  /** Give and take roles in one call. */
  updateRole: {
    input:
      & { uid: string; rolIdsToAdd: RoleIdsRequest; rolIdsToRemove: RoleIdsRequest }
      & AssignmentRequest;
    output: JSONParsed<RoleAssignment>;
  };
  /** Every role. */
  "roles.getAllRoles": { input: Record<string, never>; output: { roles: JSONParsed<Role>[] } };
  /** Create a role. */
  "roles.addRole": {
    input: { name: string; permissions: PermissionsRequest };
    output: JSONParsed<Role>;
  };
  /** Delete a role. */
  "roles.deleteRole": { input: { rolId: string }; output: JSONParsed<Role> };
  /** Add permissions to a role. */
  "roles.addPermission": {
    input: { rolId: string; permissions: PermissionsRequest };
    output: JSONParsed<RolePermissions>;
  };
  /** Remove permissions from a role. */
  "roles.deletePermission": {
    input: { rolId: string; permissions: PermissionsRequest };
    output: JSONParsed<RolePermissions>;
  };
  /** Find roles in the local role cache. */
  "roles.query": {
    input: { roleId?: string | undefined; permissionKey?: string | undefined };
    output: { matches: JSONParsed<RoleQueryMatch>[] };
  };
  /** Whether a role grants a permission. */
  "roles.validate": {
    input: { roleId: string; key: string; value: string };
    output: { valid: boolean };
  };
  /** How many roles there are. */
  "roles.count": { input: Record<string, never>; output: { count: number } };
}

/** The name of an operation: the client's method path. */
export type OperationName = keyof RpcOperations;

/** The route path of an operation under `/rpc`: `roles.query` → `roles/query`. */
export type OperationPath<N extends string> = N extends `${infer A}.${infer B}` ? `${A}/${B}`
  : N;

/** One operation of the table. */
export interface Operation<I extends z.ZodType, O extends z.ZodType> {
  /** One line for the OpenAPI document. */
  summary: string;
  /** The JSON body's schema. */
  input: I;
  /** The reply's schema. */
  output: O;
  /** Whether a body must be sent (default `true`; when not, no body means `{}`). */
  bodyRequired: boolean;
  /** Run the operation with the validated input. */
  run(client: AuthLiteClient, input: z.output<I>): Promise<z.input<O>>;
}

function op<I extends z.ZodType, O extends z.ZodType>(
  summary: string,
  input: I,
  output: O,
  run: (client: AuthLiteClient, input: z.output<I>) => Promise<z.input<O>>,
  bodyRequired = true,
): Operation<I, O> {
  return { summary, input, output, run, bodyRequired };
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

/** The table: every operation, by name. */
export const operations = {
  generateUrl: op(
    "The login URL",
    EmptySchema,
    UrlSchema,
    (c) => Promise.resolve({ url: c.generateUrl() }),
    false,
  ),
  generateEditUserUrl: op(
    "The URL of the user's profile settings",
    EditUserUrlInput,
    UrlSchema,
    async (c, i) => ({ url: await c.generateEditUserUrl(i.accessToken, i.redirectUrl) }),
  ),
  reAuth: op("Exchange a profile code", CodeInput, ReAuthResultSchema, (c, i) => c.reAuth(i.code)),
  getUser: op(
    "Exchange a login code",
    UserTokenInput,
    UserSchema,
    (c, i) => c.getUser(i.userToken),
  ),
  getUserData: op(
    "A user's profile",
    AccessTokenInput,
    UserDataSchema,
    (c, i) => c.getUserData(i.accessToken),
  ),
  getAccessTokenFromRefreshToken: op(
    "Refresh a session",
    RefreshTokenInput,
    TokenPairSchema,
    (c, i) => c.getAccessTokenFromRefreshToken(i.refreshToken),
  ),
  validateAccessToken: op(
    "Whether an access token is valid",
    AccessTokenInput,
    ValidSchema,
    async (c, i) => ({ valid: await c.validateAccessToken(i.accessToken) }),
  ),
  revokeToken: op(
    "Revoke tokens",
    RevokeInput,
    RevokedSchema,
    async (c, i) => ({ revoked: await c.revokeToken(defined(i)) }),
  ),
  validateTokenSet: op(
    "Validate a token set, refreshing it when needed (cached)",
    TokenSetInput,
    TokenCheckSchema,
    (c, i) => c.validateTokenSet(i.accessToken, i.refreshToken),
  ),
  attachRole: op(
    "Give roles to a user",
    AssignInput,
    RoleAssignmentSchema,
    (c, i) => c.attachRole(i.uid, i.rolIds, assignment(i)),
  ),
  removeRole: op(
    "Take roles away",
    AssignInput,
    RoleAssignmentSchema,
    (c, i) => c.removeRole(i.uid, i.rolIds, assignment(i)),
  ),
  updateRole: op(
    "Give and take roles in one call",
    UpdateRoleInput,
    RoleAssignmentSchema,
    (c, i) => c.updateRole(i.uid, i.rolIdsToAdd, i.rolIdsToRemove, assignment(i)),
  ),
  "roles.getAllRoles": op(
    "Every role",
    EmptySchema,
    RoleListSchema,
    async (c) => ({ roles: await c.roles.getAllRoles() }),
    false,
  ),
  "roles.addRole": op(
    "Create a role",
    AddRoleInput,
    RoleSchema,
    (c, i) => c.roles.addRole(i.name, i.permissions),
  ),
  "roles.deleteRole": op(
    "Delete a role",
    RolIdInput,
    RoleSchema,
    (c, i) => c.roles.deleteRole(i.rolId),
  ),
  "roles.addPermission": op(
    "Add permissions to a role",
    RolePermissionsInput,
    RolePermissionsSchema,
    (c, i) => c.roles.addPermission(i.rolId, i.permissions),
  ),
  "roles.deletePermission": op(
    "Remove permissions from a role",
    RolePermissionsInput,
    RolePermissionsSchema,
    (c, i) => c.roles.deletePermission(i.rolId, i.permissions),
  ),
  "roles.query": op(
    "Find roles in the local role cache",
    RoleQueryInput,
    RoleQueryResultSchema,
    async (c, i) => ({ matches: await c.roles.query(defined(i)) }),
    false,
  ),
  "roles.validate": op(
    "Whether a role grants a permission (local role cache)",
    RoleValidateInput,
    ValidSchema,
    async (c, i) => ({ valid: await c.roles.validate(i.roleId, i.key, i.value) }),
  ),
  "roles.count": op(
    "How many roles there are",
    EmptySchema,
    CountSchema,
    async (c) => ({ count: await c.roles.count() }),
    false,
  ),
} satisfies { [N in OperationName]: Operation<z.ZodType, z.ZodType> };

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
