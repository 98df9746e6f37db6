/**
 * The gateway's routes as explicit types: what `hono/client` sees through
 * `AppType`. They are written out (rather than inferred) so that the package
 * has no slow types on JSR; `createGateway` checks at compile time that they
 * are exactly what the zod routes define, so they cannot drift.
 *
 * @module
 */
import type { JSONValue } from "hono/utils/types";

/** One schema failure of a request, as the 400 reply lists it. */
export interface IssueReply {
  /** Where in the input (e.g. `["json", "uid"]`). */
  path: (string | number)[];
  /** What is wrong. */
  message: string;
  /** The validator's issue code. */
  code: string;
}

/** The body of every error reply. */
export interface ErrorReply {
  /** The failure. */
  error: {
    /** A stable code (`ERR_...`). */
    code: string;
    /** A sentence with no secret and no token. */
    message: string;
    /** The schema failures of the request (400 only). */
    issues?: IssueReply[] | undefined;
  };
}

/** A role, as the gateway answers it. */
export interface RoleReply {
  /** The organisation id. */
  orgId: string;
  /** The role id. */
  rolId: string;
  /** The role's name. */
  name: string;
  /** Its permissions, as the upstream lists them. */
  permissions: Record<string, string>[];
}

/** The permissions of a role after a change. */
export interface RolePermissionsReply {
  /** The organisation id. */
  orgId: string;
  /** The role id. */
  rolId: string;
  /** The permissions, as the upstream lists them. */
  permissions: Record<string, string>[];
}

/** A session re-issued by `reAuth`. */
export interface ReAuthReply {
  /** The access token. */
  accessToken: string;
  /** The refresh token. */
  refreshToken: string;
  /** The user id. */
  uid: string;
  /** The e-mail address. */
  email: string;
  /** The user's role ids. */
  roles: string[];
  /** Expiry of the access token (seconds since the epoch), if known. */
  expiresAt: number | null;
  /** Expiry of the refresh token (seconds since the epoch), if known. */
  refreshExpiresAt: number | null;
  /** Every verified claim of the upstream's reply. */
  claims: { [x: string]: JSONValue };
}

/** The user of `getUser`. */
export interface UserReply extends ReAuthReply {
  /** The display name, if known. */
  name: string | null;
  /** The picture URL, if known. */
  img: string | null;
}

/** The profile of `getUserData`. */
export interface UserDataReply {
  /** The user id. */
  uid: string;
  /** The e-mail address. */
  email: string;
  /** The display name, if known. */
  name: string | null;
  /** The picture URL, if known. */
  img: string | null;
  /** Every verified claim of the upstream's reply. */
  claims: { [x: string]: JSONValue };
}

/** The answer of a role assignment. */
export type RoleAssignmentReply =
  | { signedOff: true; uid: string; roles: string[]; accessToken: string; refreshToken: string }
  | { signedOff: false; reply: { [x: string]: JSONValue } };

/** The signed-in user of `GET /auth/me`. */
export interface MeReply {
  /** Who. */
  user: {
    uid: string;
    email: string;
    name: string | null;
    img: string | null;
    roles: string[];
  };
  /** The session. */
  session: {
    /** Whether the tokens were rotated to answer. */
    refreshed: boolean;
  };
}

/** Permissions in a request: one map or a list of maps. */
export type PermissionsRequest = Record<string, string> | Record<string, string>[];

/** The 200 reply of a route, with its body. */
export type Ok<T> = { output: T; outputFormat: "json"; status: 200 };
/** An error reply of a route, with its status. */
export type Fail<S extends 400 | 401 | 403 | 404 | 413 | 415 | 429 | 500 | 502> = {
  output: ErrorReply;
  outputFormat: "json";
  status: S;
};
/** The error replies of every route. */
export type Errors =
  | Fail<400>
  | Fail<401>
  | Fail<403>
  | Fail<404>
  | Fail<429>
  | Fail<500>
  | Fail<502>;
/** The error replies of a route with a body. */
export type BodyErrors = Errors | Fail<413> | Fail<415>;
/** A redirect (no JSON body). */
// deno-lint-ignore ban-types
export type Redirect = { output: {}; outputFormat: string; status: 302 };
/** The input of a route that takes none. */
export type NoInput = Record<never, never>;
/** A route's input `I` with each of its replies `R`. */
export type Endpoint<I, R> = R extends unknown ? { input: I } & R : never;
/** A `POST /rpc/...` route: JSON `I` in, JSON `O` out. */
export type Rpc<I, O> = { $post: Endpoint<{ json: I }, Ok<O> | BodyErrors> };
/** The sign-off settings of a role assignment. */
export type AssignmentRequest = {
  signoffSessionAndAssign?: boolean | undefined;
  accessToken?: string | undefined;
  refreshToken?: string | undefined;
};
/** One role id or several. */
export type RoleIdsRequest = string | string[];

/** Every route of the gateway: path → method → input and each reply. */
export type GatewaySchema = {
  "/health": { $get: Endpoint<NoInput, Ok<{ ok: true }>> };
  "/auth/login": {
    $get: Endpoint<{ query: { redirect?: string | undefined } }, Redirect | Errors>;
  };
  "/auth/callback": { $get: Endpoint<{ query: { code: string } }, Redirect | Errors> };
  "/auth/me": { $get: Endpoint<NoInput, Ok<MeReply> | Errors> };
  "/auth/logout": {
    $post: Endpoint<
      { json: { all?: boolean | undefined } },
      Ok<{ ok: true; revoked: boolean }> | BodyErrors
    >;
  };
  "/auth/profile": { $get: Endpoint<NoInput, Redirect | Errors> };
  "/auth/profile/callback": {
    $get: Endpoint<
      {
        query: {
          code?: string | undefined;
          ac?: "true" | "false" | "True" | "False" | undefined;
        };
      },
      Redirect | Errors
    >;
  };
  "/rpc/generateUrl": Rpc<Record<string, never>, { url: string }>;
  "/rpc/generateEditUserUrl": Rpc<{ accessToken: string; redirectUrl: string }, { url: string }>;
  "/rpc/reAuth": Rpc<{ code: string }, ReAuthReply>;
  "/rpc/getUser": Rpc<{ userToken: string }, UserReply>;
  "/rpc/getUserData": Rpc<{ accessToken: string }, UserDataReply>;
  "/rpc/getAccessTokenFromRefreshToken": Rpc<
    { refreshToken: string },
    { accessToken: string; refreshToken: string }
  >;
  "/rpc/validateAccessToken": Rpc<{ accessToken: string }, { valid: boolean }>;
  "/rpc/revokeToken": Rpc<
    {
      accessToken?: string | undefined;
      refreshToken?: string | undefined;
      revokeAllTokens?: boolean | undefined;
    },
    { revoked: boolean }
  >;
  "/rpc/validateTokenSet": Rpc<
    { accessToken: string; refreshToken?: string | undefined },
    { state: boolean; access: string; refresh: string | null }
  >;
  "/rpc/attachRole": Rpc<
    { uid: string; rolIds: RoleIdsRequest } & AssignmentRequest,
    RoleAssignmentReply
  >;
  "/rpc/removeRole": Rpc<
    { uid: string; rolIds: RoleIdsRequest } & AssignmentRequest,
    RoleAssignmentReply
  >;
  "/rpc/updateRole": Rpc<
    & { uid: string; rolIdsToAdd: RoleIdsRequest; rolIdsToRemove: RoleIdsRequest }
    & AssignmentRequest,
    RoleAssignmentReply
  >;
  "/rpc/roles/getAllRoles": Rpc<Record<string, never>, { roles: RoleReply[] }>;
  "/rpc/roles/addRole": Rpc<{ name: string; permissions: PermissionsRequest }, RoleReply>;
  "/rpc/roles/deleteRole": Rpc<{ rolId: string }, RoleReply>;
  "/rpc/roles/addPermission": Rpc<
    { rolId: string; permissions: PermissionsRequest },
    RolePermissionsReply
  >;
  "/rpc/roles/deletePermission": Rpc<
    { rolId: string; permissions: PermissionsRequest },
    RolePermissionsReply
  >;
  "/rpc/roles/query": Rpc<
    { roleId?: string | undefined; permissionKey?: string | undefined },
    { matches: { roleId: string; name: string; permissions: Record<string, string> }[] }
  >;
  "/rpc/roles/validate": Rpc<{ roleId: string; key: string; value: string }, { valid: boolean }>;
  "/rpc/roles/count": Rpc<Record<string, never>, { count: number }>;
  "/admin/roles": {
    $get: Endpoint<NoInput, Ok<{ roles: RoleReply[] }> | Errors>;
    $post: Endpoint<
      { json: { name: string; permissions: PermissionsRequest } },
      Ok<RoleReply> | BodyErrors
    >;
  };
  "/admin/roles/:rolId": {
    $delete: Endpoint<{ param: { rolId: string } }, Ok<RoleReply> | Errors>;
  };
  "/admin/roles/:rolId/permissions": {
    $post: Endpoint<
      { param: { rolId: string } } & { json: { permissions: PermissionsRequest } },
      Ok<RolePermissionsReply> | BodyErrors
    >;
    $delete: Endpoint<
      { param: { rolId: string } } & { json: { permissions: PermissionsRequest } },
      Ok<RolePermissionsReply> | BodyErrors
    >;
  };
  "/admin/users/:uid/roles": {
    $post: Endpoint<
      { param: { uid: string } } & {
        json: { add?: string[] | undefined; remove?: string[] | undefined };
      },
      Ok<RoleAssignmentReply> | BodyErrors
    >;
  };
};
