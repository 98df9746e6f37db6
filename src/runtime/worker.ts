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
import { RpcTarget, WorkerEntrypoint } from "cloudflare:workers";
import type { AuthLiteClient, Roles } from "../client/mod.ts";
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
import {
  type AppType,
  cloudflarePeer,
  type OperationName,
  operationNames,
} from "../gateway/mod.ts";
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
      // Cloudflare sets CF-Connecting-IP (and overwrites a client's).
      const store = storeOf(env);
      return await gatewayFromConfig(config, {
        store,
        // No start on Workers: the first request makes the credential check
        // (logged when rejected); /ready reports it.
        overrides: { peer: cloudflarePeer, ready: { store, checkOnFirstRequest: true } },
      });
    })();
    entry.catch(() => built.delete(env));
    built.set(env, entry);
  }
  return entry;
}

type Promised<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>>
  : never;
type TopLevel = Exclude<OperationName, `roles.${string}`>;
type RoleLevel = OperationName extends infer N ? N extends `roles.${infer M}` ? M : never : never;

/** The role operations of {@linkcode AuthLiteService}: `env.AUTH.roles.query(...)`. */
export type RolesService = { [M in RoleLevel]: Promised<Roles[M & keyof Roles]> };
/** The client's top-level operations, as {@linkcode AuthLiteService} methods. */
export type ClientService = { [N in TopLevel]: Promised<AuthLiteClient[N]> };

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

const envs = new WeakMap<object, WorkerEnv>();
function envOf(self: object): WorkerEnv {
  const env = envs.get(self);
  if (env === undefined) throw new Error("Internal error: no bindings");
  return env;
}

/** The role operations, for {@linkcode AuthLiteService.roles}. */
class RolesTarget extends RpcTarget {
  constructor(env: WorkerEnv) {
    super();
    envs.set(this, env);
  }
}

/**
 * The client's operations for other Workers, through a service binding: one
 * method per operation of the gateway's table, named as on the client
 * (`env.AUTH.validateTokenSet(access, refresh)`, `env.AUTH.roles.query({})`).
 * Errors arrive as `Error`s whose message starts with the code
 * (`ERR_INVALID_TOKEN_SET: ...`).
 */
export class AuthLiteService extends WorkerEntrypoint<WorkerEnv> {
  /** The role operations (`roles.getAllRoles()`, `roles.query()`, ...). */
  constructor(ctx: unknown, env: WorkerEnv) {
    super(ctx, env);
    envs.set(this, env);
  }

  /** The role operations (`roles.getAllRoles()`, `roles.query()`, ...). */
  get roles(): RolesService {
    return new RolesTarget(this.env) as unknown as RolesService;
  }
}
// The methods come from the operation table: one name everywhere.
export interface AuthLiteService extends ClientService {}

for (const name of operationNames) {
  const dot = name.indexOf(".");
  if (dot === -1) {
    const method = name as TopLevel;
    Object.defineProperty(AuthLiteService.prototype, method, {
      value: function (this: AuthLiteService, ...args: unknown[]) {
        return call(
          envOf(this),
          (c) => Promise.resolve((c[method] as (...a: unknown[]) => unknown)(...args)),
        );
      },
    });
  } else {
    const method = name.slice(dot + 1) as keyof Roles;
    Object.defineProperty(RolesTarget.prototype, method, {
      value: function (this: RolesTarget, ...args: unknown[]) {
        return call(
          envOf(this),
          (c) => Promise.resolve((c.roles[method] as (...a: unknown[]) => unknown)(...args)),
        );
      },
    });
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
