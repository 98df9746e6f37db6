/**
 * The gateway's routes as explicit types: what `hono/client` sees through
 * `AppType`. They are explicit (rather than inferred from the zod routes) so
 * that the package has no slow types on JSR. The session and admin routes
 * are written out here, and `createGateway` checks at compile time that they
 * are exactly what the zod routes define; the RPC routes are computed from
 * `RpcOperations`, the operation table's declared types, which `op()` checks
 * against the table's schemas. Neither can drift.
 *
 * @module
 */
import type { JSONParsed } from "hono/utils/types";
import type { AuthRoutesSchema, ErrorBody, ErrorIssue, MeReply } from "../hono/mod.ts";
import type {
  ReAuthResult,
  Role,
  RoleAssignment,
  RolePermissions,
  User,
  UserData,
} from "../client/mod.ts";
import type {
  OperationName,
  OperationPath,
  PermissionsRequest,
  RpcOperations,
} from "./operations.ts";

export type { AssignmentRequest, PermissionsRequest, RoleIdsRequest } from "./operations.ts";

export type { ErrorBody, ErrorIssue, MeReply };

/**
 * One schema failure of a request, as the 400 reply lists it.
 *
 * @deprecated the one name is `ErrorIssue`
 */
export type IssueReply = ErrorIssue;

/**
 * The body of every error reply, as the typed caller reads it (`code` a string).
 *
 * @deprecated the one name is `ErrorBody` (`ErrorBody<string>` as read by a caller)
 */
export type ErrorReply = ErrorBody<string>;

/** A role, as the gateway answers it (the client's {@linkcode Role} in JSON). */
export type RoleReply = JSONParsed<Role>;

/** The permissions of a role after a change. */
export type RolePermissionsReply = JSONParsed<RolePermissions>;

/** A session re-issued by `reAuth`. */
export type ReAuthReply = JSONParsed<ReAuthResult>;

/** The user of `getUser`. */
export type UserReply = JSONParsed<User>;

/** The profile of `getUserData`. */
export type UserDataReply = JSONParsed<UserData>;

/** The answer of a role assignment. */
export type RoleAssignmentReply = JSONParsed<RoleAssignment>;

/** The 200 reply of a route, with its body. */
export type Ok<T> = { output: T; outputFormat: "json"; status: 200 };
/** An error reply of a route, with its status. */
export type Fail<S extends 400 | 401 | 403 | 404 | 413 | 415 | 429 | 500 | 502 | 503> = {
  output: ErrorBody<string>;
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
  | Fail<502>
  | Fail<503>;
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

/** The session, admin and meta routes of the gateway: path → method → input and each reply. */
export type SessionAndAdminSchema = {
  "/health": { $get: Endpoint<NoInput, Ok<{ ok: true }>> };
  // authRoutes() of src/hono/, mounted at /auth.
  "/auth/login": AuthRoutesSchema["/login"];
  "/auth/callback": AuthRoutesSchema["/callback"];
  "/auth/me": AuthRoutesSchema["/me"];
  "/auth/logout": AuthRoutesSchema["/logout"];
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

/** The RPC routes, one per operation of the table: `/rpc/<name>` → `$post`. */
export type RpcSchema = {
  [N in OperationName as `/rpc/${OperationPath<N>}`]: Rpc<
    RpcOperations[N]["input"],
    RpcOperations[N]["output"]
  >;
};

/** Every route of the gateway: path → method → input and each reply. */
export type GatewaySchema = {
  [K in keyof SessionAndAdminSchema | keyof RpcSchema]: K extends keyof RpcSchema ? RpcSchema[K]
    : K extends keyof SessionAndAdminSchema ? SessionAndAdminSchema[K]
    : never;
};
