/**
 * The local role cache: role id → all its permissions merged into one
 * key → value map. Loaded lazily, reloaded when an `X-EDGE` header says the
 * organisation's role count changed, after the client's own changes, when
 * it is older than its TTL, and when the shared generation (bumped by any
 * instance's role changes) is not the one it was loaded at.
 *
 * @module
 */
import { AuthLiteUnavailableError, isUpstreamOutage } from "../errors.ts";
import type { Role, RoleQuery, RoleQueryMatch } from "./types.ts";

/** What {@linkcode RoleCache.begin} answers: the state before a load. */
export interface LoadMark {
  /** The local generation. */
  generation: number;
  /** The time, ms. */
  at: number;
  /** The shared generation, if any. */
  shared: string | undefined;
}

interface CachedRole {
  name: string;
  permissions: Record<string, string>;
}

/** Merge a role's permission list into one map (a later key wins). */
export function mergePermissions(
  permissions: ReadonlyArray<Record<string, string>>,
): Record<string, string> {
  // Defined, not assigned: a key such as "__proto__" is a permission like any other.
  const merged: Record<string, string> = {};
  for (const map of permissions) {
    for (const [key, value] of Object.entries(map)) {
      Object.defineProperty(merged, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return merged;
}

/** Options of {@linkcode RoleCache}. */
export interface RoleCacheOptions {
  /** How long a loaded list is used, in ms (default 30 000). */
  ttlMs?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  /** The shared generation of the organisation's roles (see `RoleMarks`). */
  generation?: () => Promise<string>;
  /**
   * How long a loaded list may still be used when a reload fails because the
   * upstream is out (a network error, a timeout, 408, 429, 5xx, an open
   * breaker), in ms (default 300 000). Past it, the failure is thrown.
   */
  staleMaxMs?: number;
}

/** The role cache of one client (never shared between clients). */
/** While the upstream is out, a reload is tried at most this often. */
const OUTAGE_RETRY_MS = 1000;

/** An outage of the upstream, or the breaker or queue refusing the call. */
function isOutage(err: unknown): boolean {
  return err instanceof AuthLiteUnavailableError || isUpstreamOutage(err);
}

export class RoleCache {
  #load: () => Promise<Role[]>;
  #roles: Map<string, CachedRole> | undefined;
  #ttlMs: number;
  #now: () => number;
  #shared: (() => Promise<string>) | undefined;
  #loadedAt = 0;
  #loadedShared: string | undefined;
  #stale = false;
  /** Bumped by every invalidation: a load begun before one does not make the cache fresh. */
  #generation = 0;
  #loading: Promise<void> | undefined;
  #staleMaxMs: number;
  /** While the upstream is out: no reload before then, the last list serves. */
  #retryAt = 0;

  /**
   * Create an empty cache.
   *
   * @param load how to fetch every role of the organisation
   * @param options the TTL, the clock and the shared generation
   */
  constructor(load: () => Promise<Role[]>, options: RoleCacheOptions = {}) {
    this.#load = load;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#shared = options.generation;
    this.#staleMaxMs = options.staleMaxMs ?? 300_000;
  }

  /**
   * Start a load: the local generation, the time and the shared generation
   * before the request, to give to {@linkcode RoleCache.set} after it.
   */
  async begin(): Promise<LoadMark> {
    const generation = this.#generation;
    const at = this.#now();
    const shared = this.#shared === undefined ? undefined : await this.#shared();
    return { generation, at, shared };
  }

  /** Whether the cache holds roles that are believed current. */
  get fresh(): boolean {
    return this.#roles !== undefined && !this.#stale;
  }

  /** The current generation: read it before a request whose roles you will `set`. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Take a list of roles (from a load or a `getAllRoles()`) fetched when the
   * cache was at `generation`. The cache is fresh after it only if nothing
   * invalidated it since: a change made while the list was in flight wins.
   */
  set(roles: readonly Role[], mark: LoadMark): void {
    const map = new Map<string, CachedRole>();
    for (const role of roles) {
      map.set(role.rolId, { name: role.name, permissions: mergePermissions(role.permissions) });
    }
    this.#roles = map;
    this.#stale = mark.generation !== this.#generation;
    this.#loadedAt = mark.at;
    this.#loadedShared = mark.shared;
  }

  /** Mark the cache stale: the next use reloads it, even if a load is under way. */
  invalidate(): void {
    this.#stale = true;
    this.#generation++;
  }

  /** An `X-EDGE` value seen on a reply: the organisation's role count. */
  observeEdge(header: string | null): void {
    if (header === null || this.#roles === undefined) return;
    const text = header.trim();
    if (!/^\d+$/.test(text)) return;
    // Already stale: a reload is due anyway (and this may be that reload's own reply).
    if (Number(text) !== this.#roles.size && !this.#stale) this.invalidate();
  }

  /** Stale when older than the TTL or loaded at another shared generation. */
  async #expire(): Promise<void> {
    if (this.#roles === undefined || this.#stale) return;
    if (this.#now() - this.#loadedAt >= this.#ttlMs) return this.invalidate();
    if (this.#shared === undefined) return;
    const shared = await this.#shared();
    if (shared !== this.#loadedShared && !this.#stale) this.invalidate();
  }

  async #ensure(): Promise<Map<string, CachedRole>> {
    if (this.#roles !== undefined && this.#now() < this.#retryAt) return this.#roles;
    await this.#expire();
    // A load overtaken by an invalidation leaves the cache stale: load again,
    // a few times at most (then answer from the newest list there is).
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.#roles !== undefined && !this.#stale) return this.#roles;
      if (this.#loading === undefined) {
        const loading = this.begin().then(async (mark) => this.set(await this.#load(), mark));
        this.#loading = loading;
        const clear = () => {
          if (this.#loading === loading) this.#loading = undefined;
        };
        loading.then(clear, clear);
      }
      try {
        await this.#loading;
      } catch (err) {
        // The upstream is out: the last list, for a bounded time, rather than
        // failing every permission check of every signed-in user.
        const now = this.#now();
        if (
          this.#roles === undefined || !isOutage(err) || now - this.#loadedAt > this.#staleMaxMs
        ) {
          throw err;
        }
        this.#retryAt = now + OUTAGE_RETRY_MS;
        return this.#roles;
      }
    }
    return this.#roles as Map<string, CachedRole>;
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
