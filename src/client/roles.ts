/**
 * `client.roles`: the organisation's roles and permissions, and the local
 * role cache that answers `query`, `validate` and `count`.
 *
 * @module
 */
import { SingleFlight } from "../_single_flight.ts";
import type { RoleMarks } from "../cache/mod.ts";
import { callJson, requireOrgId } from "./_context.ts";
import type { ClientContext } from "./_context.ts";
import { AuthLiteInputError } from "../errors.ts";
import { requirePermissions, requireText } from "./_input.ts";
import { RoleCache } from "./role_cache.ts";
import { readRole, readRolePermissions, readRoles } from "./schemas.ts";
import { getUserData } from "./users.ts";
import type {
  Claims,
  CurrentUser,
  PermissionsInput,
  Role,
  RolePermissions,
  RoleQuery,
  RoleQueryMatch,
} from "./types.ts";

/**
 * The role API of a client (`client.roles`). The first `query`, `validate`
 * or `count` loads every role once; later ones are answered locally until
 * the cache is stale.
 */
export interface Roles {
  /**
   * `GET /rbac/role`: every role of the organisation (refreshes the cache).
   *
   * @returns the roles
   */
  getAllRoles(): Promise<Role[]>;
  /**
   * `POST /rbac/role`: create a role.
   *
   * @param name the role's name
   * @param permissions its permissions, e.g. `{ doc: "write" }`
   * @returns the role, with its new id
   */
  addRole(name: string, permissions: PermissionsInput): Promise<Role>;
  /**
   * `DELETE /rbac/role`: delete a role.
   *
   * @param rolId the role id
   * @returns the deleted role
   */
  deleteRole(rolId: string): Promise<Role>;
  /**
   * `POST /rbac/permission`: add permissions to a role.
   *
   * @param rolId the role id
   * @param permissions the permissions to add
   * @returns the added permissions
   */
  addPermission(rolId: string, permissions: PermissionsInput): Promise<RolePermissions>;
  /**
   * `DELETE /rbac/permission`: remove permissions from a role.
   *
   * @param rolId the role id
   * @param permissions the permissions to remove
   * @returns the permissions that remain
   */
  deletePermission(rolId: string, permissions: PermissionsInput): Promise<RolePermissions>;
  /**
   * Look roles up in the local cache: by role id, by permission key, both, or
   * neither (every role).
   *
   * @param query the filters
   * @returns the matching roles, each with its merged permissions (only the
   *   key asked for when `permissionKey` is given)
   */
  query(query?: RoleQuery): Promise<RoleQueryMatch[]>;
  /**
   * Whether a role grants `key` with exactly `value`, from the local cache.
   *
   * @param roleId the role id
   * @param key the permission key
   * @param value the value it must have
   * @returns `true` when it does; `false` for an unknown role or key
   */
  validate(roleId: string, key: string, value: string): Promise<boolean>;
  /**
   * The number of roles of the organisation, from the local cache.
   *
   * @returns the count
   */
  count(): Promise<number>;
  /**
   * The user holding `accessToken`, with roles that are current: `known` as
   * it is when its roles were read less than the role cache's TTL ago and
   * after the last change of this user's roles made through any client
   * sharing this client's `tokenCache` (seen within 1 s); otherwise read
   * again from upstream (`getUserData`). Use it before authorising by roles.
   *
   * @param accessToken the user's access token (already validated)
   * @param known what was read before for this same access token, if anything
   * @returns `known` itself when it is current, else the user read now
   * @throws {AuthLiteError} `ERR_BAD_INPUT`, `ERR_HTTP`, `ERR_NETWORK`,
   *   `ERR_TIMEOUT`, `ERR_BAD_REPLY` or `ERR_BAD_SIGNATURE`
   */
  currentUser(accessToken: string, known?: CurrentUser): Promise<CurrentUser>;
  /**
   * Whether the roles of `known`'s user were changed (through any client
   * sharing this client's `tokenCache`) since `known` was read, or whether
   * that cannot be told (the store failed): then `known` must not stand in
   * for the current roles, not even through an outage.
   *
   * @param known a user read before
   * @returns `true` when `known`'s roles may be out of date by a change
   */
  changedSince?(known: CurrentUser): Promise<boolean>;
}

/** Settings of the role cache and the role marks. */
export interface RolesSettings {
  /** The shared marks. */
  marks: RoleMarks;
  /** The TTL of the role cache and of a user's roles, in ms. */
  ttlMs: number;
  /** How long the last roles answer while the upstream is out, in ms. */
  staleMaxMs: number;
}

// A user's roles read less than this after a change of them are read again:
// it covers clocks of instances that differ by up to this much.
const MARK_MARGIN_MS = 1000;

/** The role ids of the `scope` claim (a JSON string of a list, or the list). */
export function rolesOfClaims(claims: Claims): string[] {
  const scope = claims["scope"];
  let list: unknown = scope;
  if (typeof scope === "string") {
    try {
      list = JSON.parse(scope);
    } catch {
      return [];
    }
  }
  return Array.isArray(list) ? list.filter((r): r is string => typeof r === "string") : [];
}

const ROLE = "/rbac/role";
const PERMISSION = "/rbac/permission";

/** The role API of one client, with its own cache; `observeEdge` takes `X-EDGE`. */
export function createRoles(
  ctx: ClientContext,
  settings: RolesSettings,
): Roles & { observeEdge(h: string | null): void } {
  const { marks, ttlMs, staleMaxMs } = settings;
  const reading = new SingleFlight();
  const now = ctx.options.now;
  const cache = new RoleCache(() => fetchRoles("query"), {
    ttlMs,
    staleMaxMs,
    now,
    generation: () => marks.generation(),
  });

  async function fetchRoles(operation: string): Promise<Role[]> {
    const orgId = requireOrgId(ctx, operation);
    return readRoles(
      await callJson(ctx, { method: "GET", path: ROLE, query: [["org_id", orgId]] }),
      ROLE,
    );
  }

  async function change(
    operation: string,
    method: "POST" | "DELETE",
    path: string,
    body: (orgId: string) => Record<string, unknown>,
  ): Promise<unknown> {
    const orgId = requireOrgId(ctx, operation);
    const reply = await callJson(ctx, {
      method,
      path,
      query: [["org_id", orgId]],
      body: body(orgId),
    }).finally(() => {
      // Even after a failure: the change may have been made upstream.
      cache.invalidate();
      return marks.bumpGeneration();
    });
    return reply;
  }

  return {
    observeEdge: (header) => cache.observeEdge(header),

    async getAllRoles() {
      const mark = await cache.begin();
      const roles = await fetchRoles("roles.getAllRoles");
      cache.set(roles, mark);
      return roles;
    },

    async addRole(name, permissions) {
      requireText(name, "name");
      const list = requirePermissions(permissions, "permissions", true);
      const reply = await change("roles.addRole", "POST", ROLE, (orgId) => ({
        org_id: orgId,
        name,
        permissions: list,
      }));
      return readRole(reply, ROLE);
    },

    async deleteRole(rolId) {
      requireText(rolId, "rolId");
      const reply = await change("roles.deleteRole", "DELETE", ROLE, (orgId) => ({
        org_id: orgId,
        rol_id: rolId,
      }));
      return readRole(reply, ROLE);
    },

    async addPermission(rolId, permissions) {
      requireText(rolId, "rolId");
      const list = requirePermissions(permissions, "permissions", false);
      const reply = await change("roles.addPermission", "POST", PERMISSION, (orgId) => ({
        org_id: orgId,
        rol_id: rolId,
        permissions: list,
      }));
      return readRolePermissions(reply, PERMISSION);
    },

    async deletePermission(rolId, permissions) {
      requireText(rolId, "rolId");
      const list = requirePermissions(permissions, "permissions", false);
      const reply = await change("roles.deletePermission", "DELETE", PERMISSION, (orgId) => ({
        org_id: orgId,
        rol_id: rolId,
        permissions: list,
      }));
      return readRolePermissions(reply, PERMISSION);
    },

    async query(query = {}) {
      if (typeof query !== "object" || query === null) {
        throw new AuthLiteInputError("ERR_BAD_INPUT", "Invalid argument: query must be an object");
      }
      const roleId = query.roleId === undefined ? undefined : requireText(query.roleId, "roleId");
      const permissionKey = query.permissionKey === undefined
        ? undefined
        : requireText(query.permissionKey, "permissionKey");
      requireOrgId(ctx, "roles.query");
      return await cache.query({
        ...(roleId === undefined ? {} : { roleId }),
        ...(permissionKey === undefined ? {} : { permissionKey }),
      });
    },

    async validate(roleId, key, value) {
      requireText(roleId, "roleId");
      requireText(key, "key");
      if (typeof value !== "string") {
        throw new AuthLiteInputError("ERR_BAD_INPUT", "Invalid argument: value must be a string");
      }
      requireOrgId(ctx, "roles.validate");
      return await cache.validate(roleId, key, value);
    },

    async count() {
      requireOrgId(ctx, "roles.count");
      return await cache.count();
    },

    async changedSince(known) {
      const changedAt = await marks.userChangedAt(known.uid);
      return !(known.readAt > changedAt + MARK_MARGIN_MS);
    },
    async currentUser(accessToken, known) {
      requireText(accessToken, "accessToken");
      if (known !== undefined) {
        const age = now() - known.readAt;
        if (age >= -MARK_MARGIN_MS && age < ttlMs) {
          const changedAt = await marks.userChangedAt(known.uid);
          if (known.readAt > changedAt + MARK_MARGIN_MS) return known;
        }
      }
      // Requests of one session in flight together (a page that fans out, the
      // moment its roles expire) share one upstream read.
      return await reading.run(accessToken, async (): Promise<CurrentUser> => {
        const readAt = now();
        const data = await getUserData(ctx, accessToken);
        return {
          uid: data.uid,
          email: data.email,
          name: data.name,
          img: data.img,
          roles: rolesOfClaims(data.claims),
          readAt,
        };
      });
    },
  };
}
