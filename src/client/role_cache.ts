/**
 * The local role cache: role id → all its permissions merged into one
 * key → value map. Loaded lazily, reloaded when an `X-EDGE` header says the
 * organisation's role count changed, or after the client's own changes.
 *
 * @module
 */
import type { Role, RoleQuery, RoleQueryMatch } from "./types.ts";

interface CachedRole {
  name: string;
  permissions: Record<string, string>;
}

/** Merge a role's permission list into one map (a later key wins). */
export function mergePermissions(
  permissions: ReadonlyArray<Record<string, string>>,
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const map of permissions) Object.assign(merged, map);
  return merged;
}

/** The role cache of one client (never shared between clients). */
export class RoleCache {
  #load: () => Promise<Role[]>;
  #roles: Map<string, CachedRole> | undefined;
  #stale = false;
  #loading: Promise<Map<string, CachedRole>> | undefined;

  /**
   * Create an empty cache.
   *
   * @param load how to fetch every role of the organisation
   */
  constructor(load: () => Promise<Role[]>) {
    this.#load = load;
  }

  /** Whether the cache holds roles that are believed current. */
  get fresh(): boolean {
    return this.#roles !== undefined && !this.#stale;
  }

  /** Take a fresh list of roles (from a load or a `getAllRoles()`). */
  set(roles: readonly Role[]): void {
    const map = new Map<string, CachedRole>();
    for (const role of roles) {
      map.set(role.rolId, { name: role.name, permissions: mergePermissions(role.permissions) });
    }
    this.#roles = map;
    this.#stale = false;
  }

  /** Mark the cache stale: the next use reloads it. */
  invalidate(): void {
    this.#stale = true;
  }

  /** An `X-EDGE` value seen on a reply: the organisation's role count. */
  observeEdge(header: string | null): void {
    if (header === null || this.#roles === undefined) return;
    const text = header.trim();
    if (!/^\d+$/.test(text)) return;
    if (Number(text) !== this.#roles.size) this.#stale = true;
  }

  async #ensure(): Promise<Map<string, CachedRole>> {
    if (this.#roles !== undefined && !this.#stale) return this.#roles;
    if (this.#loading === undefined) {
      const loading = this.#load().then((roles) => {
        this.set(roles);
        return this.#roles as Map<string, CachedRole>;
      });
      this.#loading = loading;
      const clear = () => {
        if (this.#loading === loading) this.#loading = undefined;
      };
      loading.then(clear, clear);
    }
    return await this.#loading;
  }

  /** The roles matching `query` (see {@linkcode RoleQuery}). */
  async query(query: RoleQuery): Promise<RoleQueryMatch[]> {
    const roles = await this.#ensure();
    const entries = query.roleId === undefined
      ? [...roles]
      : roles.has(query.roleId)
      ? [[query.roleId, roles.get(query.roleId) as CachedRole] as const]
      : [];
    const matches: RoleQueryMatch[] = [];
    for (const [roleId, role] of entries) {
      if (query.permissionKey === undefined) {
        matches.push({ roleId, name: role.name, permissions: { ...role.permissions } });
      } else if (Object.hasOwn(role.permissions, query.permissionKey)) {
        matches.push({
          roleId,
          name: role.name,
          permissions: { [query.permissionKey]: role.permissions[query.permissionKey] as string },
        });
      }
    }
    return matches;
  }

  /** Whether role `roleId` has permission `key` with value `value`. */
  async validate(roleId: string, key: string, value: string): Promise<boolean> {
    const role = (await this.#ensure()).get(roleId);
    return role !== undefined && Object.hasOwn(role.permissions, key) &&
      role.permissions[key] === value;
  }

  /** The number of roles of the organisation. */
  async count(): Promise<number> {
    return (await this.#ensure()).size;
  }
}
