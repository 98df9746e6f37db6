/**
 * The RPC routes: `POST /rpc/<operation>` for every operation of the client,
 * for services holding the service key. JSON in and out; tokens travel in
 * bodies, never in URLs.
 *
 * @module
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { type GatewayDeps, requireService } from "./_deps.ts";
import { rpcRoute } from "./_routes.ts";
import { validationHook } from "./errors.ts";
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
  RoleQueryMatchSchema,
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
import { z } from "@hono/zod-openapi";

const r = {
  generateUrl: rpcRoute("/generateUrl", EmptySchema, UrlSchema, "The login URL", false),
  generateEditUserUrl: rpcRoute(
    "/generateEditUserUrl",
    EditUserUrlInput,
    UrlSchema,
    "The URL of the user's profile settings",
  ),
  reAuth: rpcRoute("/reAuth", CodeInput, ReAuthResultSchema, "Exchange a profile code"),
  getUser: rpcRoute("/getUser", UserTokenInput, UserSchema, "Exchange a login code"),
  getUserData: rpcRoute("/getUserData", AccessTokenInput, UserDataSchema, "A user's profile"),
  getAccessTokenFromRefreshToken: rpcRoute(
    "/getAccessTokenFromRefreshToken",
    RefreshTokenInput,
    TokenPairSchema,
    "Refresh a session",
  ),
  validateAccessToken: rpcRoute(
    "/validateAccessToken",
    AccessTokenInput,
    ValidSchema,
    "Whether an access token is valid",
  ),
  revokeToken: rpcRoute("/revokeToken", RevokeInput, RevokedSchema, "Revoke tokens"),
  validateTokenSet: rpcRoute(
    "/validateTokenSet",
    TokenSetInput,
    TokenCheckSchema,
    "Validate a token set, refreshing it when needed (cached)",
  ),
  attachRole: rpcRoute("/attachRole", AssignInput, RoleAssignmentSchema, "Give roles to a user"),
  removeRole: rpcRoute("/removeRole", AssignInput, RoleAssignmentSchema, "Take roles away"),
  updateRole: rpcRoute(
    "/updateRole",
    UpdateRoleInput,
    RoleAssignmentSchema,
    "Give and take roles in one call",
  ),
  getAllRoles: rpcRoute("/roles/getAllRoles", EmptySchema, RoleListSchema, "Every role", false),
  addRole: rpcRoute("/roles/addRole", AddRoleInput, RoleSchema, "Create a role"),
  deleteRole: rpcRoute("/roles/deleteRole", RolIdInput, RoleSchema, "Delete a role"),
  addPermission: rpcRoute(
    "/roles/addPermission",
    RolePermissionsInput,
    RolePermissionsSchema,
    "Add permissions to a role",
  ),
  deletePermission: rpcRoute(
    "/roles/deletePermission",
    RolePermissionsInput,
    RolePermissionsSchema,
    "Remove permissions from a role",
  ),
  query: rpcRoute(
    "/roles/query",
    RoleQueryInput,
    z.object({ matches: z.array(RoleQueryMatchSchema) }).openapi("RoleQueryResult"),
    "Find roles in the local role cache",
    false,
  ),
  validate: rpcRoute(
    "/roles/validate",
    RoleValidateInput,
    ValidSchema,
    "Whether a role grants a permission (local role cache)",
  ),
  count: rpcRoute("/roles/count", EmptySchema, CountSchema, "How many roles there are", false),
};

function assignOptions(body: {
  signoffSessionAndAssign?: boolean | undefined;
  accessToken?: string | undefined;
  refreshToken?: string | undefined;
}) {
  return {
    ...(body.signoffSessionAndAssign === undefined
      ? {}
      : { signoffSessionAndAssign: body.signoffSessionAndAssign }),
    ...(body.accessToken === undefined ? {} : { accessToken: body.accessToken }),
    ...(body.refreshToken === undefined ? {} : { refreshToken: body.refreshToken }),
  };
}

/**
 * The RPC routes.
 *
 * @param deps the gateway
 * @returns the routes as an app to mount at `/rpc`
 */
export function rpcRoutes(deps: GatewayDeps) {
  const { client } = deps;
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use("*", requireService(deps));
  return app
    .openapi(r.generateUrl, (c) => c.json({ url: client.generateUrl() }, 200))
    .openapi(r.generateEditUserUrl, async (c) => {
      const { accessToken, redirectUrl } = c.req.valid("json");
      return c.json({ url: await client.generateEditUserUrl(accessToken, redirectUrl) }, 200);
    })
    .openapi(r.reAuth, async (c) => c.json(await client.reAuth(c.req.valid("json").code), 200))
    .openapi(
      r.getUser,
      async (c) => c.json(await client.getUser(c.req.valid("json").userToken), 200),
    )
    .openapi(
      r.getUserData,
      async (c) => c.json(await client.getUserData(c.req.valid("json").accessToken), 200),
    )
    .openapi(r.getAccessTokenFromRefreshToken, async (c) => {
      const { refreshToken } = c.req.valid("json");
      return c.json(await client.getAccessTokenFromRefreshToken(refreshToken), 200);
    })
    .openapi(r.validateAccessToken, async (c) => {
      const { accessToken } = c.req.valid("json");
      return c.json({ valid: await client.validateAccessToken(accessToken) }, 200);
    })
    .openapi(r.revokeToken, async (c) => {
      const { accessToken, refreshToken, revokeAllTokens } = c.req.valid("json");
      const revoked = await client.revokeToken({
        ...(accessToken === undefined ? {} : { accessToken }),
        ...(refreshToken === undefined ? {} : { refreshToken }),
        ...(revokeAllTokens === undefined ? {} : { revokeAllTokens }),
      });
      return c.json({ revoked }, 200);
    })
    .openapi(r.validateTokenSet, async (c) => {
      const { accessToken, refreshToken } = c.req.valid("json");
      return c.json(await client.validateTokenSet(accessToken, refreshToken), 200);
    })
    .openapi(r.attachRole, async (c) => {
      const body = c.req.valid("json");
      return c.json(await client.attachRole(body.uid, body.rolIds, assignOptions(body)), 200);
    })
    .openapi(r.removeRole, async (c) => {
      const body = c.req.valid("json");
      return c.json(await client.removeRole(body.uid, body.rolIds, assignOptions(body)), 200);
    })
    .openapi(r.updateRole, async (c) => {
      const body = c.req.valid("json");
      const result = await client.updateRole(
        body.uid,
        body.rolIdsToAdd,
        body.rolIdsToRemove,
        assignOptions(body),
      );
      return c.json(result, 200);
    })
    .openapi(r.getAllRoles, async (c) => c.json({ roles: await client.roles.getAllRoles() }, 200))
    .openapi(r.addRole, async (c) => {
      const { name, permissions } = c.req.valid("json");
      return c.json(await client.roles.addRole(name, permissions), 200);
    })
    .openapi(
      r.deleteRole,
      async (c) => c.json(await client.roles.deleteRole(c.req.valid("json").rolId), 200),
    )
    .openapi(r.addPermission, async (c) => {
      const { rolId, permissions } = c.req.valid("json");
      return c.json(await client.roles.addPermission(rolId, permissions), 200);
    })
    .openapi(r.deletePermission, async (c) => {
      const { rolId, permissions } = c.req.valid("json");
      return c.json(await client.roles.deletePermission(rolId, permissions), 200);
    })
    .openapi(r.query, async (c) => {
      const { roleId, permissionKey } = c.req.valid("json");
      const matches = await client.roles.query({
        ...(roleId === undefined ? {} : { roleId }),
        ...(permissionKey === undefined ? {} : { permissionKey }),
      });
      return c.json({ matches }, 200);
    })
    .openapi(r.validate, async (c) => {
      const { roleId, key, value } = c.req.valid("json");
      return c.json({ valid: await client.roles.validate(roleId, key, value) }, 200);
    })
    .openapi(r.count, async (c) => c.json({ count: await client.roles.count() }, 200));
}
