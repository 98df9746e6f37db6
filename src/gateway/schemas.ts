/**
 * The zod schemas of the gateway's requests and replies: they validate what
 * comes in, describe the OpenAPI document and give `hono/client` its types.
 *
 * @module
 */
import { z } from "@hono/zod-openapi";

// ---- building blocks ----------------------------------------------------------------------

const token = (what: string) =>
  z.string().min(1).max(8192).openapi({ description: what, example: "eyJhbGciOi..." });
const id = (what: string, example: string) =>
  z.string().min(1).max(256).openapi({ description: what, example });

/** The body of every error. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "ERR_INVALID_TOKEN_SET" }),
      message: z.string().openapi({
        example: "Access token invalid and no refresh token: log in again",
      }),
      issues: z
        .array(
          z.object({
            path: z.array(z.union([z.string(), z.number()])),
            message: z.string(),
            code: z.string(),
          }),
        )
        .optional()
        .openapi({ description: "The schema failures of the request (400 only)" }),
    }),
  })
  .openapi("Error");

const PermissionMaps = z.union([
  z.record(z.string().min(1).max(256), z.string().max(1024)),
  z.array(z.record(z.string().min(1).max(256), z.string().max(1024))).max(256),
]);

// A record drops a key `__proto__` silently (and never shows it to a
// refinement), and the client's reply schemas drop `constructor` and
// `prototype`: look at the input first, and name the keys.
const RESERVED_KEYS = ["__proto__", "constructor", "prototype"];
function refuseReservedKeys(value: unknown, ctx: z.RefinementCtx): unknown {
  const maps: unknown[] = Array.isArray(value) ? value : [value];
  const found = RESERVED_KEYS.filter((key) =>
    maps.some((m) => typeof m === "object" && m !== null && Object.hasOwn(m, key))
  );
  if (found.length > 0) {
    const message = `Reserved permission keys: ${found.join(", ")}`;
    ctx.addIssue({ code: "custom", message, input: value });
  }
  return value;
}

/** Permissions as `key → value`: one map or a list of maps; reserved keys are refused. */
export const PermissionsSchema =
  (z.preprocess(refuseReservedKeys, PermissionMaps) as unknown as typeof PermissionMaps)
    .openapi("Permissions", { example: [{ admin: "true" }] });

const PermissionListSchema = z.array(z.record(z.string(), z.string()));

/** A role of the organisation. */
export const RoleSchema = z
  .object({
    orgId: z.string(),
    rolId: z.string(),
    name: z.string(),
    permissions: PermissionListSchema,
  })
  .openapi("Role");

/** The answer of `addPermission` / `deletePermission`. */
export const RolePermissionsSchema = z
  .object({
    orgId: z.string(),
    rolId: z.string(),
    permissions: PermissionListSchema,
  })
  .openapi("RolePermissions");

/** A list of roles. */
export const RoleListSchema = z.object({ roles: z.array(RoleSchema) }).openapi("RoleList");

/** One role found by `roles.query`. */
export const RoleQueryMatchSchema = z
  .object({
    roleId: z.string(),
    name: z.string(),
    permissions: z.record(z.string(), z.string()),
  })
  .openapi("RoleQueryMatch");

/** The answer of `roles.query`. */
export const RoleQueryResultSchema = z
  .object({ matches: z.array(RoleQueryMatchSchema) })
  .openapi("RoleQueryResult");

const ClaimsSchema = z.record(z.string(), z.unknown()).openapi({
  description: "Every verified claim of the upstream's signed reply",
});

/** The fresh session of `reAuth`. */
export const ReAuthResultSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    uid: z.string(),
    email: z.string(),
    roles: z.array(z.string()),
    expiresAt: z.number().nullable(),
    refreshExpiresAt: z.number().nullable(),
    claims: ClaimsSchema,
  })
  .openapi("ReAuthResult");

/** The user who just logged in (`getUser`). */
export const UserSchema = ReAuthResultSchema.extend({
  name: z.string().nullable(),
  img: z.string().nullable(),
}).openapi("User");

/** The profile of a signed-in user (`getUserData`). */
export const UserDataSchema = z
  .object({
    uid: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    img: z.string().nullable(),
    claims: ClaimsSchema,
  })
  .openapi("UserData");

/** An access token and a refresh token. */
export const TokenPairSchema = z
  .object({ accessToken: z.string(), refreshToken: z.string() })
  .openapi("TokenPair");

/** The documented answer of a token-set validation. */
export const TokenCheckSchema = z
  .object({
    state: z.boolean().openapi({
      description: "true: the access token was valid; false: refreshed",
    }),
    access: z.string(),
    refresh: z.string().nullable(),
  })
  .openapi("TokenCheck");

/** The answer of a role assignment, by `signedOff`. */
export const RoleAssignmentSchema = z
  .discriminatedUnion("signedOff", [
    z.object({
      signedOff: z.literal(true),
      uid: z.string(),
      roles: z.array(z.string()),
      accessToken: z.string(),
      refreshToken: z.string(),
    }),
    z.object({
      signedOff: z.literal(false),
      reply: z.record(z.string(), z.unknown()),
    }),
  ])
  .openapi("RoleAssignment");

/** `{url}` */
export const UrlSchema = z.object({ url: z.string() }).openapi("Url");
/** `{valid}` */
export const ValidSchema = z.object({ valid: z.boolean() }).openapi("Valid");
/** `{revoked}` */
export const RevokedSchema = z.object({ revoked: z.boolean() }).openapi("Revoked");
/** `{count}` */
export const CountSchema = z.object({ count: z.number().int() }).openapi("Count");

// ---- RPC inputs ---------------------------------------------------------------------------

/** An empty body. */
export const EmptySchema = z.object({}).openapi("Empty");

/** `{accessToken, redirectUrl}` */
export const EditUserUrlInput = z.object({
  accessToken: token("The user's access token"),
  redirectUrl: z.url().max(2048).openapi({ example: "https://example.com/profile/done" }),
});
/** `{code}` */
export const CodeInput = z.object({ code: token("The code TrustAuthX sent to the callback") });
/** `{userToken}` */
export const UserTokenInput = z.object({
  userToken: token("The login code (UserToken) TrustAuthX sent to the callback"),
});
/** `{accessToken}` */
export const AccessTokenInput = z.object({ accessToken: token("An access token") });
/** `{refreshToken}` */
export const RefreshTokenInput = z.object({ refreshToken: token("A refresh token") });
/** `{accessToken?, refreshToken?, revokeAllTokens?}` */
export const RevokeInput = z.object({
  accessToken: token("An access token to revoke").optional(),
  refreshToken: token("A refresh token to revoke").optional(),
  revokeAllTokens: z.boolean().optional(),
});
/** `{accessToken, refreshToken?}` */
export const TokenSetInput = z.object({
  accessToken: token("The access token"),
  refreshToken: token("The refresh token").optional(),
});

const rolIds = z.union([
  id("A role id", "rol_abc"),
  z.array(id("A role id", "rol_abc")).max(256),
]);
const assignmentOptions = {
  signoffSessionAndAssign: z.boolean().optional(),
  accessToken: token("The user's access token (for the sign-off)").optional(),
  refreshToken: token("The user's refresh token (for the sign-off)").optional(),
};
/** `{uid, rolIds, signoffSessionAndAssign?, accessToken?, refreshToken?}` */
export const AssignInput = z.object({
  uid: id("The user id", "usr_123"),
  rolIds,
  ...assignmentOptions,
});
/** `{uid, rolIdsToAdd, rolIdsToRemove, ...}` */
export const UpdateRoleInput = z.object({
  uid: id("The user id", "usr_123"),
  rolIdsToAdd: rolIds,
  rolIdsToRemove: rolIds,
  ...assignmentOptions,
});
/** `{name, permissions}` */
export const AddRoleInput = z.object({
  name: z.string().min(1).max(256).openapi({ example: "editors" }),
  permissions: PermissionsSchema,
});
/** `{rolId}` */
export const RolIdInput = z.object({ rolId: id("The role id", "rol_abc") });
/** `{rolId, permissions}` */
export const RolePermissionsInput = z.object({
  rolId: id("The role id", "rol_abc"),
  permissions: PermissionsSchema,
});
/** `{roleId?, permissionKey?}` */
export const RoleQueryInput = z.object({
  roleId: id("Only this role", "rol_abc").optional(),
  permissionKey: z.string().min(1).max(256).optional(),
});
/** `{roleId, key, value}` */
export const RoleValidateInput = z.object({
  roleId: id("The role id", "rol_abc"),
  key: z.string().min(1).max(256),
  value: z.string().max(1024),
});

// ---- browser session ----------------------------------------------------------------------

/** The signed-in user and the state of the session (`GET /auth/me`). */
export const MeSchema = z
  .object({
    user: z.object({
      uid: z.string(),
      email: z.string(),
      name: z.string().nullable(),
      img: z.string().nullable(),
      roles: z.array(z.string()),
    }),
    session: z.object({
      refreshed: z.boolean().openapi({ description: "Whether the tokens were rotated to answer" }),
    }),
  })
  .openapi("Me");

/** `{all?}` of `POST /auth/logout`. */
export const LogoutInput = z.object({
  all: z.boolean().optional().openapi({ description: "Revoke every session of the user" }),
});

/** The answer of `POST /auth/logout`. */
export const LogoutSchema = z
  .object({
    ok: z.literal(true),
    revoked: z.boolean().openapi({ description: "Whether the upstream confirmed the revocation" }),
  })
  .openapi("Logout");

/** `{code}` of the login callback. */
export const CallbackQuery = z.object({
  code: z.string().min(1).max(8192).openapi({ param: { name: "code", in: "query" } }),
});

/** `{code, ac}` of the profile callback. */
export const ProfileCallbackQuery = z.object({
  code: z.string().min(1).max(8192).optional().openapi({ param: { name: "code", in: "query" } }),
  ac: z
    .enum(["true", "false", "True", "False"])
    .optional()
    .openapi({ param: { name: "ac", in: "query" }, description: "Whether anything changed" }),
});

/** `{redirect?}` of the login route: a path of this site to return to. */
export const LoginQuery = z.object({
  redirect: z
    .string()
    .max(2048)
    .optional()
    .openapi({ param: { name: "redirect", in: "query" }, example: "/account" }),
});

// ---- admin --------------------------------------------------------------------------------

/** `{rolId}` in the path. */
export const RolIdParam = z.object({
  rolId: id("The role id", "rol_abc").openapi({ param: { name: "rolId", in: "path" } }),
});
/** `{uid}` in the path. */
export const UidParam = z.object({
  uid: id("The user id", "usr_123").openapi({ param: { name: "uid", in: "path" } }),
});
/** `{permissions}` */
export const PermissionsInput = z.object({ permissions: PermissionsSchema });
/** `{add?, remove?}` */
export const UserRolesInput = z.object({
  add: z.array(id("A role id", "rol_abc")).max(256).optional(),
  remove: z.array(id("A role id", "rol_abc")).max(256).optional(),
});

// ---- meta ---------------------------------------------------------------------------------

/** The answer of `GET /health`. */
export const HealthSchema = z.object({ ok: z.literal(true) }).openapi("Health");
