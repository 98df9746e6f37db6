/// <reference path="./_cloudflare_workers.d.ts" />
/**
 * The gateway as a Cloudflare Worker: the default export serves the Hono app
 * (`fetch`), and {@linkcode AuthLiteService} lets other Workers call the
 * client's operations through a service binding (RPC), typed.
 *
 * Bindings: `TRUSTAUTHX_API_KEY`, `TRUSTAUTHX_SECRET_KEY`, `TRUSTAUTHX_ORG_ID`,
 * `TRUSTAUTHX_BASE_URL?`, `TRUSTAUTHX_WIDGET_URL?`, `SERVICE_KEY`, `ADMIN_KEY`,
 * the optional ones of `_config.ts`, and the token-set cache's store: `AUTH_STORE`
 * (a Durable Object namespace of {@linkcode AuthLiteStoreObject}, strongly
 * consistent: one refresh across isolates, revocations seen at once) or, without
 * it, `TOKEN_CACHE` (a KV namespace: no claim, writes and deletes reach other
 * locations up to about 60 s late).
 *
 * @example A Worker that calls this one through a service binding
 * ```ts ignore
 * // wrangler.toml of the caller:
 * // [[services]]
 * // binding = "AUTH"
 * // service = "authlite-gateway"
 * // entrypoint = "AuthLiteService"
 * import type { AuthLiteService } from "authlite/src/runtime/worker.ts";
 * interface Env { AUTH: Service<AuthLiteService> } // Service from @cloudflare/workers-types
 * export default {
 *   async fetch(req: Request, env: Env): Promise<Response> {
 *     const check = await env.AUTH.validateTokenSet("access", "refresh");
 *     return Response.json({ signedIn: true, refreshed: !check.state });
 *   },
 * };
 * ```
 *
 * @module
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type {
  AuthLiteClient,
  PermissionsInput,
  ReAuthResult,
  RevokeTokenOptions,
  Role,
  RoleAssignment,
  RoleAssignmentOptions,
  RolePermissions,
  RoleQuery,
  RoleQueryMatch,
  TokenCheck,
  TokenPair,
  User,
  UserData,
} from "../client/mod.ts";
import {
  AuthLiteStoreObject,
  cloudflareKVStore,
  type DurableObjectNamespaceLike,
  durableObjectStore,
  type KVNamespaceLike,
  type KVStore,
} from "../cache/mod.ts";
import { AuthLiteError } from "../errors.ts";
import type { ExecutionContext } from "hono";
import type { AppType } from "../gateway/mod.ts";
import { configFromEnv, type GatewayEnv, gatewayFromConfig } from "./_config.ts";

/** The bindings of the Worker. */
export interface WorkerEnv extends GatewayEnv {
  /**
   * The Durable Object namespace of {@linkcode AuthLiteStoreObject}: when
   * bound, the token-set cache's store (refresh claims, grace entries,
   * revocations, valid entries), strongly consistent.
   */
  AUTH_STORE?: DurableObjectNamespaceLike;
  /** The KV namespace of the token-set cache, used when `AUTH_STORE` is not bound. */
  TOKEN_CACHE?: KVNamespaceLike;
}

/** The Durable Object class of the `AUTH_STORE` binding (see wrangler.toml). */
export { AuthLiteStoreObject };

interface Built {
  client: AuthLiteClient;
  app: AppType;
}

// One gateway per isolate and set of bindings: built on first use, reused after.
const built = new WeakMap<object, Promise<Built>>();

// A Durable Object store wherever it is bound. No Workers KV tier in front of
// it: an entry served from KV after a revoke (KV deletes reach other locations
// up to ~60 s late) would break the revocation bound, and telling which hits
// are safe takes a Durable Object read anyway. The in-process layer of the
// cache stays in front.
function storeOf(env: WorkerEnv): KVStore {
  if (env.AUTH_STORE !== undefined) return durableObjectStore(env.AUTH_STORE);
  if (env.TOKEN_CACHE !== undefined) return cloudflareKVStore(env.TOKEN_CACHE);
  throw new AuthLiteError(
    "ERR_CONFIG",
    "Invalid gateway configuration: missing AUTH_STORE (a Durable Object namespace binding) " +
      "or TOKEN_CACHE (a KV namespace binding)",
  );
}

function build(env: WorkerEnv): Promise<Built> {
  let entry = built.get(env);
  if (entry === undefined) {
    entry = (async () => {
      const config = configFromEnv(env as unknown as Record<string, unknown>);
      return await gatewayFromConfig(config, { store: storeOf(env) });
    })();
    entry.catch(() => built.delete(env));
    built.set(env, entry);
  }
  return entry;
}

// Workers RPC keeps an error's message but not its class or `code`: put the
// code in front of the message so that callers can still switch on it.
async function call<T>(env: WorkerEnv, run: (client: AuthLiteClient) => Promise<T>): Promise<T> {
  const { client } = await build(env);
  try {
    return await run(client);
  } catch (err) {
    if (err instanceof AuthLiteError) throw new Error(`${err.code}: ${err.message}`);
    throw err;
  }
}

/**
 * The client's operations for other Workers, through a service binding. Each
 * method is the client's method of the same name; errors arrive as `Error`s
 * whose message starts with the code (`ERR_INVALID_TOKEN_SET: ...`).
 */
export class AuthLiteService extends WorkerEntrypoint<WorkerEnv> {
  /** @returns the login URL */
  generateUrl(): Promise<string> {
    return call(this.env, (c) => Promise.resolve(c.generateUrl()));
  }
  /**
   * @param accessToken the user's access token
   * @param redirectUrl where the settings page sends the user back
   * @returns the URL of the profile settings
   */
  generateEditUserUrl(accessToken: string, redirectUrl: string): Promise<string> {
    return call(this.env, (c) => c.generateEditUserUrl(accessToken, redirectUrl));
  }
  /** @param code the code of the settings callback @returns the fresh session */
  reAuth(code: string): Promise<ReAuthResult> {
    return call(this.env, (c) => c.reAuth(code));
  }
  /** @param userToken the login code @returns the user */
  getUser(userToken: string): Promise<User> {
    return call(this.env, (c) => c.getUser(userToken));
  }
  /** @param accessToken the access token @returns the profile */
  getUserData(accessToken: string): Promise<UserData> {
    return call(this.env, (c) => c.getUserData(accessToken));
  }
  /** @param refreshToken the refresh token @returns a new pair */
  getAccessTokenFromRefreshToken(refreshToken: string): Promise<TokenPair> {
    return call(this.env, (c) => c.getAccessTokenFromRefreshToken(refreshToken));
  }
  /** @param accessToken the access token @returns whether it is valid */
  validateAccessToken(accessToken: string): Promise<boolean> {
    return call(this.env, (c) => c.validateAccessToken(accessToken));
  }
  /** @param options the tokens to revoke @returns the upstream's answer */
  revokeToken(options: RevokeTokenOptions): Promise<boolean> {
    return call(this.env, (c) => c.revokeToken(options));
  }
  /**
   * @param accessToken the access token
   * @param refreshToken the refresh token
   * @returns `{state, access, refresh}` (cached in `TOKEN_CACHE`)
   */
  validateTokenSet(accessToken: string, refreshToken?: string): Promise<TokenCheck> {
    return call(this.env, (c) => c.validateTokenSet(accessToken, refreshToken));
  }
  /**
   * @param uid the user
   * @param rolIds the roles to give
   * @param options sign-off settings
   * @returns the assignment
   */
  attachRole(
    uid: string,
    rolIds: string | string[],
    options?: RoleAssignmentOptions,
  ): Promise<RoleAssignment> {
    return call(this.env, (c) => c.attachRole(uid, rolIds, options));
  }
  /**
   * @param uid the user
   * @param rolIds the roles to take away
   * @param options sign-off settings
   * @returns the assignment
   */
  removeRole(
    uid: string,
    rolIds: string | string[],
    options?: RoleAssignmentOptions,
  ): Promise<RoleAssignment> {
    return call(this.env, (c) => c.removeRole(uid, rolIds, options));
  }
  /**
   * @param uid the user
   * @param add the roles to give
   * @param remove the roles to take away
   * @param options sign-off settings
   * @returns the assignment
   */
  updateRole(
    uid: string,
    add: string | string[],
    remove: string | string[],
    options?: RoleAssignmentOptions,
  ): Promise<RoleAssignment> {
    return call(this.env, (c) => c.updateRole(uid, add, remove, options));
  }
  /** @returns every role */
  getAllRoles(): Promise<Role[]> {
    return call(this.env, (c) => c.roles.getAllRoles());
  }
  /** @param name the name @param permissions its permissions @returns the role */
  addRole(name: string, permissions: PermissionsInput): Promise<Role> {
    return call(this.env, (c) => c.roles.addRole(name, permissions));
  }
  /** @param rolId the role @returns the deleted role */
  deleteRole(rolId: string): Promise<Role> {
    return call(this.env, (c) => c.roles.deleteRole(rolId));
  }
  /** @param rolId the role @param permissions to add @returns the added ones */
  addPermission(rolId: string, permissions: PermissionsInput): Promise<RolePermissions> {
    return call(this.env, (c) => c.roles.addPermission(rolId, permissions));
  }
  /** @param rolId the role @param permissions to remove @returns what remains */
  deletePermission(rolId: string, permissions: PermissionsInput): Promise<RolePermissions> {
    return call(this.env, (c) => c.roles.deletePermission(rolId, permissions));
  }
  /** @param query the filters @returns the matching roles */
  queryRoles(query: RoleQuery = {}): Promise<RoleQueryMatch[]> {
    return call(this.env, (c) => c.roles.query(query));
  }
  /** @param roleId the role @param key the permission @param value its value @returns whether granted */
  validateRole(roleId: string, key: string, value: string): Promise<boolean> {
    return call(this.env, (c) => c.roles.validate(roleId, key, value));
  }
  /** @returns how many roles there are */
  countRoles(): Promise<number> {
    return call(this.env, (c) => c.roles.count());
  }
}

/** The Worker's HTTP entry: the gateway app. */
export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let app: AppType;
    try {
      app = (await build(env)).app;
    } catch (err) {
      const message = err instanceof AuthLiteError && err.code === "ERR_CONFIG"
        ? err.message
        : "Internal error";
      return Response.json({ error: { code: "ERR_CONFIG", message } }, { status: 500 });
    }
    return await app.fetch(request, env, ctx);
  },
};
