/**
 * The result types of the client, in camelCase, mapped from the upstream's
 * snake_case replies.
 *
 * @module
 */
import type { TokenCheck, TokenPair } from "../_types.ts";

export type { TokenCheck, TokenPair };

/** Options of {@linkcode AuthLiteClient.validateTokenSet}. */
export interface TokenSetCheckOptions {
  /**
   * The caller's signal (say, the incoming request's): once it aborts, an
   * upstream call waiting for a slot on its behalf leaves the queue (when no
   * other caller waits for the same call) and is never sent.
   */
  signal?: AbortSignal | undefined;
}

/** The verified claims of a signed reply, as the upstream sent them. */
export type Claims = Readonly<Record<string, unknown>>;

/** The answer of {@linkcode AuthLiteClient.reAuth}: the user's fresh session. */
export interface ReAuthResult extends TokenPair {
  /** The user's id. */
  uid: string;
  /** The user's e-mail address. */
  email: string;
  /** The ids of the user's roles (empty if the reply lists none). */
  roles: string[];
  /** Expiry of the access token, in seconds since the epoch, if given. */
  expiresAt: number | null;
  /** Expiry of the refresh token, in seconds since the epoch, if given. */
  refreshExpiresAt: number | null;
  /** Every verified claim of the reply. */
  claims: Claims;
}

/** The answer of {@linkcode AuthLiteClient.getUser}: the user who just logged in. */
export interface User extends ReAuthResult {
  /** The user's display name, if known. */
  name: string | null;
  /** URL of the user's picture, if known. */
  img: string | null;
}

/** The answer of {@linkcode AuthLiteClient.getUserData}: the profile of a signed-in user. */
export interface UserData {
  /** The user's id. */
  uid: string;
  /** The user's e-mail address. */
  email: string;
  /** The user's display name, if known. */
  name: string | null;
  /** URL of the user's picture, if known. */
  img: string | null;
  /** Every verified claim of the reply. */
  claims: Claims;
}

/**
 * A signed-in user with the time their roles were read: the answer of
 * `client.roles.currentUser`.
 */
export interface CurrentUser {
  /** The user's id. */
  uid: string;
  /** The user's e-mail address. */
  email: string;
  /** The user's display name, if known. */
  name: string | null;
  /** URL of the user's picture, if known. */
  img: string | null;
  /** The ids of the user's roles when they were read. */
  roles: string[];
  /** When the roles were read (the client's clock, ms since the epoch). */
  readAt: number;
}

/** Options of {@linkcode AuthLiteClient.revokeToken}: at least one token is required. */
export interface RevokeTokenOptions {
  /** An access token to revoke. */
  accessToken?: string;
  /** A refresh token to revoke (alone or with the access token). */
  refreshToken?: string;
  /** Revoke every token of the user, not only the given ones (default `false`). */
  revokeAllTokens?: boolean;
}

/** Options of the role assignments (`attachRole`, `removeRole`, `updateRole`). */
export interface RoleAssignmentOptions {
  /**
   * Re-issue the user's session with the new roles (default `false`); needs
   * both `accessToken` and `refreshToken`.
   */
  signoffSessionAndAssign?: boolean;
  /** The user's current access token (for the sign-off). */
  accessToken?: string;
  /** The user's current refresh token (for the sign-off). */
  refreshToken?: string;
}

/** A role assignment with sign-off: the user's session re-issued with the new roles. */
export interface SignedOffRoleAssignment extends TokenPair {
  /** Discriminant: the session was re-issued. */
  signedOff: true;
  /** The user's id. */
  uid: string;
  /** The ids of the user's roles now. */
  roles: string[];
}

/** A role assignment without sign-off: the upstream's reply, an object. */
export interface PlainRoleAssignment {
  /** Discriminant: the session was left as it was. */
  signedOff: false;
  /** The upstream's reply as it came. */
  reply: Readonly<Record<string, unknown>>;
}

/** The answer of a role assignment; switch on `signedOff`. */
export type RoleAssignment = SignedOffRoleAssignment | PlainRoleAssignment;

/** Permissions as `key → value`, one map or a list of maps. */
export type PermissionsInput = Record<string, string> | ReadonlyArray<Record<string, string>>;

/** A role of the organisation. */
export interface Role {
  /** The organisation id. */
  orgId: string;
  /** The role id. */
  rolId: string;
  /** The role's name. */
  name: string;
  /** The role's permissions as the upstream lists them. */
  permissions: Array<Record<string, string>>;
}

/** The answer of `addPermission` (the added ones) and `deletePermission` (what remains). */
export interface RolePermissions {
  /** The organisation id. */
  orgId: string;
  /** The role id. */
  rolId: string;
  /** The permissions, as the upstream lists them. */
  permissions: Array<Record<string, string>>;
}

/** What {@linkcode Roles.query} looks for; both fields are optional filters. */
export interface RoleQuery {
  /** Only this role. */
  roleId?: string;
  /** Only roles that have this permission key, and only that key of them. */
  permissionKey?: string;
}

/** One role found by {@linkcode Roles.query}. */
export interface RoleQueryMatch {
  /** The role id. */
  roleId: string;
  /** The role's name. */
  name: string;
  /** All its permissions merged into one map (or only the key asked for). */
  permissions: Record<string, string>;
}
