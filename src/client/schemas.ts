/**
 * The shape of every upstream reply (valibot), and its mapping to the
 * client's camelCase result types. A reply of the wrong shape is an
 * `ERR_BAD_REPLY`; the error names where, never what was there.
 *
 * @module
 */
import * as v from "valibot";
import { AuthLiteReplyError } from "../errors.ts";
import type {
  Claims,
  ReAuthResult,
  Role,
  RolePermissions,
  SignedOffRoleAssignment,
  TokenPair,
  User,
  UserData,
} from "./types.ts";

const Text = v.pipe(v.string(), v.minLength(1));
// valibot's record() takes an array for an object; these do not.
const NotArray = v.custom<object>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  "Expected an object",
);
const StringMap = v.pipe(NotArray, v.record(v.string(), v.string()));
const OptionalText = v.nullish(v.string());
const OptionalTime = v.nullish(v.number());
const Permissions = v.array(StringMap);
const Scope = v.nullish(v.union([v.string(), v.array(v.string())]));

const SignedString = v.pipe(v.string(), v.minLength(1));
const Sub = v.looseObject({ uid: Text, email: v.string() });
const RoleIds = v.array(v.string());

const SessionClaims = v.looseObject({
  access_token: Text,
  refresh_token: Text,
  sub: v.string(),
  scope: Scope,
  exp: OptionalTime,
  refresh_exp: OptionalTime,
  name: OptionalText,
  img: OptionalText,
});

const UserDataClaims = v.looseObject({
  uid: Text,
  email: v.string(),
  name: OptionalText,
  img: OptionalText,
});

const TokenPairReply = v.looseObject({ access_token: Text, refresh_token: Text });

const RoleReply = v.looseObject({
  org_id: v.string(),
  rol_id: Text,
  name: v.string(),
  permissions: Permissions,
});

const RolePermissionsReply = v.looseObject({
  org_id: v.string(),
  rol_id: Text,
  permissions: Permissions,
});

const SignedOffReply = v.looseObject({
  uid: Text,
  access_token: Text,
  refresh_token: Text,
  role: RoleIds,
});

const PlainObject = v.pipe(NotArray, v.record(v.string(), v.unknown()));

function check<const TSchema extends v.GenericSchema>(
  schema: TSchema,
  value: unknown,
  endpoint: string,
  what: string,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const at = v.getDotPath(issue);
  // Issue messages may quote the value received; `expected` comes from the schema.
  const expected = issue.type === "custom" ? "an object" : issue.expected ?? "another shape";
  throw new AuthLiteReplyError(
    "ERR_BAD_REPLY",
    endpoint,
    `Unexpected ${what}${at ? ` at ${at}` : ""}: expected ${expected}`,
  );
}

function parseJsonClaim(value: string, endpoint: string, claim: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new AuthLiteReplyError(
      "ERR_BAD_REPLY",
      endpoint,
      `Unexpected signed reply: claim ${claim} is not JSON`,
    );
  }
}

/**
 * Parse a reply body as JSON.
 *
 * @throws {AuthLiteReplyError} `ERR_BAD_REPLY` when it is not JSON (no cause:
 *   the parser's message quotes the body)
 */
export function parseJsonBody(text: string, endpoint: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AuthLiteReplyError("ERR_BAD_REPLY", endpoint, "Reply is not JSON");
  }
}

/** The body of a signed reply: a JSON string holding a compact JWS. */
export function readSignedString(value: unknown, endpoint: string): string {
  return check(SignedString, value, endpoint, "reply");
}

/** The `sub` claim: a JSON string holding at least `uid` and `email`. */
function readSub(sub: string, endpoint: string): { uid: string; email: string } {
  const parsed = check(Sub, parseJsonClaim(sub, endpoint, "sub"), endpoint, "claim sub");
  return { uid: parsed.uid, email: parsed.email };
}

/** The `scope` claim: a JSON string holding a list of role ids (or the list itself). */
function readScope(scope: string | string[] | null | undefined, endpoint: string): string[] {
  if (scope === null || scope === undefined || scope === "") return [];
  const list = typeof scope === "string" ? parseJsonClaim(scope, endpoint, "scope") : scope;
  return [...check(RoleIds, list, endpoint, "claim scope")];
}

/** The claims of a re-auth reply, mapped. */
export function readReAuth(claims: Claims, endpoint: string): ReAuthResult {
  const c = check(SessionClaims, claims, endpoint, "signed reply");
  return {
    ...readSub(c.sub, endpoint),
    accessToken: c.access_token,
    refreshToken: c.refresh_token,
    roles: readScope(c.scope, endpoint),
    expiresAt: c.exp ?? null,
    refreshExpiresAt: c.refresh_exp ?? null,
    claims,
  };
}

/** The claims of a get-user reply, mapped. */
export function readUser(claims: Claims, endpoint: string): User {
  const c = check(SessionClaims, claims, endpoint, "signed reply");
  return {
    ...readReAuth(claims, endpoint),
    name: c.name ?? null,
    img: c.img ?? null,
  };
}

/** The claims of a get-user-data reply, mapped. */
export function readUserData(claims: Claims, endpoint: string): UserData {
  const c = check(UserDataClaims, claims, endpoint, "signed reply");
  return { uid: c.uid, email: c.email, name: c.name ?? null, img: c.img ?? null, claims };
}

/** A refresh reply: `{access_token, refresh_token}`. */
export function readTokenPair(value: unknown, endpoint: string): TokenPair {
  const c = check(TokenPairReply, value, endpoint, "reply");
  return { accessToken: c.access_token, refreshToken: c.refresh_token };
}

/** A revoke reply: a JSON boolean. */
export function readBoolean(value: unknown, endpoint: string): boolean {
  return check(v.boolean(), value, endpoint, "reply");
}

function toRole(c: v.InferOutput<typeof RoleReply>): Role {
  return {
    orgId: c.org_id,
    rolId: c.rol_id,
    name: c.name,
    permissions: c.permissions.map((p) => ({ ...p })),
  };
}

/** A role reply. */
export function readRole(value: unknown, endpoint: string): Role {
  return toRole(check(RoleReply, value, endpoint, "reply"));
}

/** A list-of-roles reply. */
export function readRoles(value: unknown, endpoint: string): Role[] {
  return check(v.array(RoleReply), value, endpoint, "reply").map(toRole);
}

/** An add/delete-permission reply. */
export function readRolePermissions(value: unknown, endpoint: string): RolePermissions {
  const c = check(RolePermissionsReply, value, endpoint, "reply");
  return {
    orgId: c.org_id,
    rolId: c.rol_id,
    permissions: c.permissions.map((p) => ({ ...p })),
  };
}

/** A role-assignment reply with sign-off: the re-issued session. */
export function readSignedOff(value: unknown, endpoint: string): SignedOffRoleAssignment {
  const c = check(SignedOffReply, value, endpoint, "reply");
  return {
    signedOff: true,
    uid: c.uid,
    accessToken: c.access_token,
    refreshToken: c.refresh_token,
    roles: [...c.role],
  };
}

/** A reply that must be a JSON object (and nothing more is known of it). */
export function readObject(value: unknown, endpoint: string): Record<string, unknown> {
  return check(PlainObject, value, endpoint, "reply");
}
