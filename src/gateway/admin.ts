/**
 * The admin routes: roles, their permissions and the roles of users, for the
 * holder of the admin key or a signed-in user whose roles grant the admin
 * permission.
 *
 * @module
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Hono } from "hono";
import { type GatewayDeps, requireAdmin } from "./_deps.ts";
import type { Readiness } from "./_ready.ts";
import type { GatewayTelemetry } from "./_telemetry.ts";
import { adminSecurity, bodyErrorReplies, errorReplies, jsonBody, jsonReply } from "./_routes.ts";
import { validationHook } from "./errors.ts";
import {
  AddRoleInput,
  PermissionsInput,
  RoleAssignmentSchema,
  RoleListSchema,
  RolePermissionsSchema,
  RoleSchema,
  RolIdParam,
  UidParam,
  UserRolesInput,
} from "./schemas.ts";

const tags = ["Admin"];

const listRoles = createRoute({
  method: "get",
  path: "/roles",
  tags,
  summary: "Every role of the organisation",
  security: adminSecurity,
  responses: { 200: jsonReply(RoleListSchema, "The roles"), ...errorReplies },
});

const addRole = createRoute({
  method: "post",
  path: "/roles",
  tags,
  summary: "Create a role",
  security: adminSecurity,
  request: { body: jsonBody(AddRoleInput) },
  responses: { 200: jsonReply(RoleSchema, "The new role"), ...bodyErrorReplies },
});

const deleteRole = createRoute({
  method: "delete",
  path: "/roles/{rolId}",
  tags,
  summary: "Delete a role",
  security: adminSecurity,
  request: { params: RolIdParam },
  responses: { 200: jsonReply(RoleSchema, "The deleted role"), ...errorReplies },
});

const addPermissions = createRoute({
  method: "post",
  path: "/roles/{rolId}/permissions",
  tags,
  summary: "Add permissions to a role",
  security: adminSecurity,
  request: { params: RolIdParam, body: jsonBody(PermissionsInput) },
  responses: {
    200: jsonReply(RolePermissionsSchema, "The added permissions"),
    ...bodyErrorReplies,
  },
});

const deletePermissions = createRoute({
  method: "delete",
  path: "/roles/{rolId}/permissions",
  tags,
  summary: "Remove permissions from a role",
  security: adminSecurity,
  request: { params: RolIdParam, body: jsonBody(PermissionsInput) },
  responses: {
    200: jsonReply(RolePermissionsSchema, "The permissions that remain"),
    ...bodyErrorReplies,
  },
});

const userRoles = createRoute({
  method: "post",
  path: "/users/{uid}/roles",
  tags,
  summary: "Give roles to a user and take others away",
  security: adminSecurity,
  request: { params: UidParam, body: jsonBody(UserRolesInput) },
  responses: { 200: jsonReply(RoleAssignmentSchema, "The upstream's answer"), ...bodyErrorReplies },
});

/**
 * The admin routes.
 *
 * @param deps the gateway
 * @returns the routes as an app to mount at `/admin`
 */
export function adminRoutes(deps: GatewayDeps) {
  const { client } = deps;
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use("*", requireAdmin(deps));
  return app
    .openapi(listRoles, async (c) => c.json({ roles: await client.roles.getAllRoles() }, 200))
    .openapi(addRole, async (c) => {
      const { name, permissions } = c.req.valid("json");
      return c.json(await client.roles.addRole(name, permissions), 200);
    })
    .openapi(
      deleteRole,
      async (c) => c.json(await client.roles.deleteRole(c.req.valid("param").rolId), 200),
    )
    .openapi(addPermissions, async (c) => {
      const { rolId } = c.req.valid("param");
      const { permissions } = c.req.valid("json");
      return c.json(await client.roles.addPermission(rolId, permissions), 200);
    })
    .openapi(deletePermissions, async (c) => {
      const { rolId } = c.req.valid("param");
      const { permissions } = c.req.valid("json");
      return c.json(await client.roles.deletePermission(rolId, permissions), 200);
    })
    .openapi(userRoles, async (c) => {
      const { uid } = c.req.valid("param");
      const { add, remove } = c.req.valid("json");
      return c.json(await client.updateRole(uid, add ?? [], remove ?? []), 200);
    });
}

/**
 * `GET /admin/status`: the gateway's figures (hit ratio, upstream and store
 * latency and errors, breaker states, since start and over the last minute),
 * for the admin key's holder or a signed-in admin. A plain route beside the
 * typed ones (documented in the OpenAPI document all the same).
 *
 * @param app the gateway app
 * @param deps the gateway
 * @param telemetry where the figures are kept
 */
export function adminStatusRoute(
  // deno-lint-ignore no-explicit-any
  app: Hono<any, any, any>,
  deps: GatewayDeps,
  telemetry: GatewayTelemetry,
): void {
  app.get("/admin/status", requireAdmin(deps), (c) => c.json(telemetry.status(), 200));
}

/**
 * `GET /ready`: 200 when the upstream accepts the credentials and the store
 * answers, else 503 naming what is down (no secret); checked at most once
 * per few seconds.
 *
 * @param app the gateway app
 * @param readiness the checks
 */
// deno-lint-ignore no-explicit-any
export function readyRoute(app: Hono<any, any, any>, readiness: Readiness): void {
  app.get("/ready", async (c) => {
    const report = await readiness.check();
    c.header("cache-control", "no-store");
    return c.json(report, report.ready ? 200 : 503);
  });
}
