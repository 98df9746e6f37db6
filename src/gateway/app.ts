/**
 * The gateway: a Hono app that puts the TrustAuthX client at the edge, with
 * browser session routes, RPC routes for services, admin routes, an OpenAPI
 * document and interactive docs. The same app runs on Cloudflare Workers,
 * `Deno.serve` and `Bun.serve`.
 *
 * @module
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { Context, MiddlewareHandler, Next } from "hono";
import { cors } from "hono/cors";
import { AuthLiteInputError } from "../errors.ts";
import type { AuthLiteClient } from "../client/mod.ts";
import { bearerOf } from "../_bearer.ts";
import { CredentialSet } from "./_credentials.ts";
import { docsRoutes, type GatewayDocs } from "./_docs.ts";
import { gatewayAuth, type GatewayDeps } from "./_deps.ts";
import { clientOf, rateLimit, type RateLimitOptions } from "./_rate_limit.ts";
import type { GatewayLogger } from "./_logger.ts";
import { peerOf, type PeerReader } from "./_peer.ts";
import { Readiness, type ReadyOptions } from "./_ready.ts";
import { type GatewayTelemetry, Telemetry } from "./_telemetry.ts";
import { type HotRpcRoute, withHotLane } from "./_lane.ts";
import { jsonReply } from "./_routes.ts";
import { safeReturnPath } from "./_login.ts";
import { addReplyHeader, isNoStoreJson } from "../hono/_internal.ts";
import type { SessionCookieOptions } from "./_session.ts";
import { adminRoutes, adminStatusRoute, readyRoute } from "./admin.ts";
import { authRoutes } from "./auth.ts";
import { errorBody, errorReplyOf, onGatewayError, validationHook } from "./errors.ts";
import { rpcRoutes } from "./rpc.ts";
import { HealthSchema } from "./schemas.ts";
import type { GatewaySchema, SessionAndAdminSchema } from "./schema_types.ts";
import type { Env } from "hono";

/** The gateway app: an `OpenAPIHono` whose routes are {@linkcode GatewaySchema}. */
export type GatewayApp = OpenAPIHono<Env, GatewaySchema, "/">;

// Mutual assignability: the declared schema and the one the session and
// admin routes define are the same (a compile error here means
// schema_types.ts must follow). The RPC routes come from the operation
// table; tests/gateway_types.test.ts checks the table against its types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SchemaOf<T> = T extends OpenAPIHono<Env, infer S, "/"> ? S : never;

/** Options of {@linkcode createGateway}. */
export interface GatewayOptions {
  /** The TrustAuthX client the gateway wraps (give it a `tokenCache` to cache sessions). */
  client: AuthLiteClient;
  /**
   * Signs the profile cookie of browser sessions: at least 32 characters, the
   * same on every instance (the runtimes derive it from the secret key).
   */
  sessionSecret: string;
  /** The service credential(s) of `/rpc/*` (several during a rotation; none: RPC closed). */
  serviceKey?: string | readonly string[];
  /** The admin credential(s) of `/admin/*` (none: only signed-in admins). */
  adminKey?: string | readonly string[];
  /** The permission that makes a signed-in user an admin (default `{key: "admin", value: "true"}`). */
  adminPermission?: { key: string; value: string };
  /** Where the browser goes after a login (default `/`). */
  postLoginPath?: string;
  /** Where the browser goes after the profile settings (default `postLoginPath`). */
  postProfilePath?: string;
  /** The public origin of the gateway, e.g. behind a proxy (default: the request's origin). */
  publicUrl?: string;
  /** Whether `/auth/callback` requires a login started at `/auth/login` (default `true`). */
  requireLoginStart?: boolean;
  /**
   * Whether `/auth/profile` sends signed-in users to TrustAuthX's profile
   * settings (default `false`). TrustAuthX's settings URL holds the
   * organisation's API key and signed key, which together call its API as the
   * organisation: turn this on only if every signed-in user may see them.
   */
  profileEditing?: boolean;
  /** The session cookies (`secure` defaults to `true`). */
  cookie?: SessionCookieOptions;
  /** Origins allowed by CORS (a list, or a predicate); none: no CORS headers. */
  cors?: readonly string[] | ((origin: string) => boolean);
  /** Largest request body in bytes (default 64 KiB); larger answers 413. */
  bodyLimitBytes?: number;
  /** Rate limit of `/auth/*`, `/rpc/*` and `/admin/*` (default none). */
  rateLimit?: RateLimitOptions;
  /**
   * A rate limit of the routes that check a session, on top of `rateLimit`
   * (default none; the runtimes set one): `/auth/*`, and `/admin/*` requests
   * that present no admin key. Every bogus session cookie sent there may cost
   * upstream calls.
   */
  authRateLimit?: RateLimitOptions;
  /** Serve the OpenAPI document at `/openapi.json` (default `true`). */
  openapi?: boolean;
  /**
   * Serve Swagger UI at `/docs` with these assets (needs `openapi`). Default
   * none: `/docs` answers 404 and the gateway holds none of Swagger UI.
   */
  docs?: GatewayDocs;
  /**
   * Reads the peer's address (default: what `Deno.serve(app.fetch)`,
   * `Bun.serve({ fetch: app.fetch })`, `@hono/node-server` and this package's
   * runtime entries pass, or `CF-Connecting-IP` on Workers). hono's
   * `getConnInfo` (`hono/deno`, `hono/bun`, `hono/cloudflare-workers`) fits.
   * A request whose peer is not known is not counted by the rate limits, and
   * logged (`peer-unknown`, an error, once per interval).
   */
  peer?: PeerReader;
  /**
   * How many proxies of your own are in front (default 0): with N, the Nth
   * address from the right of `X-Forwarded-For` is the client's. With 0 the
   * header is ignored (any client can set it).
   */
  trustedProxies?: number;
  /**
   * Where log records go (default: one JSON line per record on the console;
   * `false`: nowhere). Ignored when `telemetry` is given (it has its own).
   */
  logger?: GatewayLogger | false;
  /**
   * The telemetry from `createTelemetry()`, whose `observe` the client was
   * built with: then the log, the metrics, the spans and `/admin/status` see
   * the client's and the cache's events too (default: one of the gateway's
   * own, which sees its requests, rate limits and readiness checks only).
   */
  telemetry?: GatewayTelemetry;
  /** Add `Server-Timing` (cache, store, upstream, total) to every reply (default `false`). */
  serverTiming?: boolean;
  /** `GET /ready`: the store to read, how long a check is kept (default: upstream only, 5 s). */
  ready?: ReadyOptions;
  /** Adds routes of your own (a page at `/`, static files), after the gateway's. */
  ui?: (app: OpenAPIHono) => void;
  /** Strings that must never appear in a reply (keys, secrets): removed from error messages. */
  redact?: readonly string[];
}

const DEFAULT_BODY_LIMIT = 64 * 1024;

type Scope = "auth" | "rpc" | "admin" | "";

/** Which of the gateway's route groups a path is in (no regex: this runs on every request). */
function scopeOf(path: string): Scope {
  if (path.startsWith("/rpc/")) return "rpc";
  if (path.startsWith("/auth/")) return "auth";
  if (path.startsWith("/admin/")) return "admin";
  return "";
}

function list(value: string | readonly string[] | undefined, name: string): string[] {
  const values = value === undefined ? [] : typeof value === "string" ? [value] : [...value];
  for (const v of values) {
    if (typeof v !== "string" || v.length < 16) {
      throw new AuthLiteInputError(
        "ERR_CONFIG",
        `Invalid option: ${name} must be at least 16 characters`,
      );
    }
  }
  return values;
}

function resolve(options: GatewayOptions): GatewayDeps {
  if (typeof options !== "object" || options === null || typeof options.client !== "object") {
    throw new AuthLiteInputError("ERR_CONFIG", "Missing option: client");
  }
  if (typeof options.sessionSecret !== "string" || options.sessionSecret.length < 32) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      "Invalid option: sessionSecret must be at least 32 characters",
    );
  }
  const postLoginPath = safeReturnPath(options.postLoginPath ?? "/");
  let publicUrl: string | undefined;
  if (options.publicUrl !== undefined) {
    try {
      publicUrl = new URL(options.publicUrl).href.replace(/\/+$/, "");
    } catch {
      throw new AuthLiteInputError("ERR_CONFIG", "Invalid option: publicUrl must be a URL");
    }
  }
  return {
    client: options.client,
    // The session routes and the session of every guard: authRoutes()'s kit.
    auth: gatewayAuth(options, {
      postLoginPath,
      publicUrl,
      requireLoginStart: options.requireLoginStart ?? true,
    }),
    services: new CredentialSet(list(options.serviceKey, "serviceKey")),
    admins: new CredentialSet(list(options.adminKey, "adminKey")),
    adminPermission: options.adminPermission ?? { key: "admin", value: "true" },
    postLoginPath,
    postProfilePath: safeReturnPath(options.postProfilePath ?? postLoginPath),
    publicUrl,
    requireLoginStart: options.requireLoginStart ?? true,
    profileEditing: options.profileEditing ?? false,
  };
}

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Meta"],
  summary: "Liveness: answers without calling the upstream",
  responses: { 200: jsonReply(HealthSchema, "Alive") },
});

function routes(deps: GatewayDeps, hot: Map<string, HotRpcRoute>) {
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(healthRoute, (c) => c.json({ ok: true as const }, 200))
    .route("/", authRoutes(deps))
    .route("/rpc", rpcRoutes(deps, (path, route) => hot.set(`/rpc${path}`, route)))
    .route("/admin", adminRoutes(deps));
}

/**
 * Build the gateway.
 *
 * @param options the client, the credentials and the settings
 * @returns the Hono app: serve its `fetch`
 * @throws {AuthLiteInputError} `ERR_CONFIG` when an option is missing or invalid
 * @example
 * ```ts ignore
 * import { AuthLiteClient, memoryStore } from "@authlite/authlite";
 * import { createGateway } from "@authlite/authlite/gateway";
 * const client = new AuthLiteClient({
 *   apiKey: "key", secretKey: "secret", orgId: "org", tokenCache: memoryStore(),
 * });
 * const app = createGateway({ client, sessionSecret: "a long random string of 32+ chars!!" });
 * Deno.serve(app.fetch);
 * ```
 */
export function createGateway(options: GatewayOptions): GatewayApp {
  const deps = resolve(options);
  const secrets = [
    ...list(options.serviceKey, "serviceKey"),
    ...list(options.adminKey, "adminKey"),
  ];
  secrets.push(...(options.redact ?? []));

  if (options.telemetry !== undefined && !(options.telemetry instanceof Telemetry)) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      "Invalid option: telemetry must come from createTelemetry()",
    );
  }
  const telemetry = options.telemetry ??
    new Telemetry(options.logger === undefined ? {} : { logger: options.logger });
  const serverTiming = options.serverTiming ?? false;
  const readiness = new Readiness(options.client, options.ready ?? {}, (report) => {
    if (report.ready) return;
    telemetry.log(`ready:${report.down.join(",")}`, {
      level: "error",
      event: "ready",
      message: `Not ready: ${report.down.join(" and ")} down` +
        (report.checks.upstream.fix === undefined ? "" : `: check ${report.checks.upstream.fix}`),
      down: report.down,
    });
  });

  const app = new OpenAPIHono({ defaultHook: validationHook });
  const onError = onGatewayError(secrets);
  app.onError(onError);
  // Each request's span (and Server-Timing), around everything else.
  let checkFirst = options.ready?.checkOnFirstRequest ?? false;
  const first = (c: Context): void => {
    if (checkFirst) {
      checkFirst = false;
      const check = readiness.check();
      try {
        c.executionCtx.waitUntil(check);
      } catch {
        // No execution context (not on Workers): the promise runs on its own.
      }
    }
  };
  const front = (c: Context, next: Next): Promise<void> => {
    first(c);
    return telemetry.request(c, next, serverTiming);
  };
  app.notFound((c) =>
    c.json(errorBody("ERR_NOT_FOUND", `Not found: ${c.req.method} ${c.req.path}`), 404)
  );

  let corsLayer: MiddlewareHandler | undefined;
  if (options.cors !== undefined) {
    const allowed = options.cors;
    const allow = typeof allowed === "function" ? allowed : (o: string) => allowed.includes(o);
    corsLayer = cors({
      origin: (origin) => (origin && allow(origin) ? origin : null),
      credentials: true,
      allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
      allowHeaders: ["content-type", "authorization"],
      maxAge: 600,
    });
  }
  const maxBody = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const tooLarge = (c: Context) =>
    c.json(errorBody("ERR_PAYLOAD_TOO_LARGE", `Body too large: at most ${maxBody} bytes`), 413);
  const streamedLimit = bodyLimit({ maxSize: maxBody, onError: tooLarge });
  const trusted = options.trustedProxies ?? 0;
  if (!Number.isInteger(trusted) || trusted < 0) {
    throw new AuthLiteInputError("ERR_CONFIG", "Invalid option: trustedProxies must be 0 or more");
  }
  const hooks = {
    keyOf: (c: Context) => {
      const peer = peerOf(c, trusted, options.peer);
      return peer === undefined ? undefined : clientOf(peer);
    },
    onUnknown: () =>
      telemetry.log("peer-unknown", {
        level: "error",
        event: "peer-unknown",
        message: "Rate limit: the peer's address is not known, so the request is not counted; " +
          "serve app.fetch as Deno.serve or Bun.serve pass it, or give the gateway a peer option",
      }),
    onLimited: (c: Context) =>
      telemetry.observe({ type: "rate-limit", route: scopeOf(c.req.path) || "other" }),
  };
  const limiter = options.rateLimit === undefined ? undefined : rateLimit(options.rateLimit, hooks);
  const authLimiter = options.authRateLimit === undefined
    ? undefined
    : rateLimit(options.authRateLimit, hooks);
  // The rate limits of the request's scope, then the route. The session
  // limit covers every route that checks a session: /auth/*, and /admin/*
  // unless a Bearer credential is presented (requireAdmin() then checks it as
  // the admin key, and a wrong one costs no upstream call). Any other
  // Authorization header falls through to the cookie session: counted.
  const limited = (c: Context, next: Next, scope: Scope): Promise<Response | void> => {
    if (scope === "" || (limiter === undefined && authLimiter === undefined)) return next();
    const session = authLimiter !== undefined &&
      (scope === "auth" ||
        (scope === "admin" && bearerOf(c.req.header("authorization")) === undefined));
    const rest = session ? () => authLimiter(c, next) as Promise<void> : next;
    return limiter === undefined ? rest() : limiter(c, rest);
  };
  // One middleware in front of every route (each one more costs a call and a
  // promise on the hot path): headers, the body limit, the rate limits.
  const guarded = (c: Context, next: Next, scope: Scope): Promise<Response | void> | Response => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") {
      // A declared length is checked from the header alone: touching the body
      // here would turn it into a stream and slow down every JSON route. A body
      // without one (chunked) is counted as it streams in.
      const length = c.req.header("content-length");
      if (length === undefined || c.req.header("transfer-encoding") !== undefined) {
        return streamedLimit(c, () => limited(c, next, scope) as Promise<void>);
      }
      if (Number(length) > maxBody) return tooLarge(c);
    }
    return limited(c, next, scope);
  };
  const guard = async (c: Context, next: Next): Promise<void> => {
    const scope = scopeOf(c.req.path);
    let refused: Response | void;
    let failed = false;
    try {
      refused = await guarded(c, next, scope);
    } catch (err) {
      // An error of the guard itself (a rate limit; the routes' errors became
      // replies at their own layer): its reply here, as Hono would make it
      // one layer up, so that it gets the headers below and the span its status.
      if (!(err instanceof Error)) throw err;
      c.error = err;
      refused = onError(err, c);
      failed = true;
    }
    if (refused !== undefined && (failed || !c.finalized)) c.res = refused;
    // On the finished reply, in place (see src/hono/_reply.ts): set before the
    // handler, they made Hono build each reply's headers the slow way.
    // Replies of these routes may carry tokens (RPC) or set session cookies.
    if (isNoStoreJson(c.res)) return; // built with both (the hot routes)
    if (scope !== "") addReplyHeader(c, "cache-control", "no-store");
    addReplyHeader(c, "x-content-type-options", "nosniff");
  };
  if (corsLayer === undefined) {
    // The span and the guard in one middleware (each one more costs a call and
    // a promise on every request); without a span, the guard alone.
    app.use("*", (c, next) => {
      if (telemetry.traces(serverTiming)) return front(c, () => guard(c, next));
      first(c);
      return guard(c, next);
    });
  } else {
    app.use("*", front, corsLayer, guard);
  }

  readyRoute(app, readiness);
  adminStatusRoute(app, deps, telemetry);
  const hotRpc = new Map<string, HotRpcRoute>();
  const gateway = app.route("/", routes(deps, hotRpc));
  const exact: Same<SchemaOf<typeof gateway>, SessionAndAdminSchema> = true;
  void exact;

  if (options.openapi ?? true) {
    gateway.openAPIRegistry.registerComponent("securitySchemes", "serviceKey", {
      type: "http",
      scheme: "bearer",
      description: "The service key (SERVICE_KEY)",
    });
    gateway.openAPIRegistry.registerComponent("securitySchemes", "adminKey", {
      type: "http",
      scheme: "bearer",
      description: "The admin key (ADMIN_KEY)",
    });
    gateway.openAPIRegistry.registerComponent("securitySchemes", "session", {
      type: "apiKey",
      in: "cookie",
      name: `${options.cookie?.prefix ?? "authlite_"}access`,
      description: "The browser session (set by /auth/callback)",
    });
    gateway.use("/openapi.json", async (c, next) => {
      await next();
      c.header("cache-control", "public, max-age=300");
    });
    gateway.doc("/openapi.json", () => ({
      openapi: "3.0.0",
      info: {
        title: "authlite gateway",
        version: "0.1.0",
        description: "TrustAuthX sessions, RPC and admin at the edge",
      },
      // Never the request's Host header: a cache in front would serve the
      // document with an attacker's host to everyone.
      servers: [{ url: deps.publicUrl ?? "/" }],
    }));
    if (options.docs !== undefined) docsRoutes(gateway, options.docs);
  } else if (options.docs !== undefined) {
    throw new AuthLiteInputError("ERR_CONFIG", "Invalid option: docs needs openapi");
  }
  options.ui?.(gateway);
  // The hot calls in front of Hono's dispatch, while no layer of the app
  // would add anything to them (src/gateway/_lane.ts).
  const plain = corsLayer === undefined && limiter === undefined;
  // An error handler set on the app after it was built (app.onError()) is
  // the app's to call: the lane answers errors with the gateway's own only.
  const own = gateway as unknown as { errorHandler?: unknown };
  const quiet = () =>
    !checkFirst && !telemetry.traces(serverTiming) && own.errorHandler === onError;
  const errorReply = errorReplyOf(secrets);
  withHotLane(gateway, {
    rpc: hotRpc,
    rpcOpen: () => plain && quiet(),
    mePath: "/auth/me",
    meOpen: () => plain && authLimiter === undefined && quiet(),
    kit: deps.auth,
    services: deps.services,
    maxBody,
    errorReply: (err) => securedReply(errorReply(err, plainJson)),
  });
  return gateway;
}

/** A JSON reply as `c.json()` builds it on a context nothing has set headers on. */
function plainJson(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The headers the guard adds to a reply of a route group (RPC, the session routes). */
function securedReply(res: Response): Response {
  if (!res.headers.has("cache-control")) res.headers.set("cache-control", "no-store");
  if (!res.headers.has("x-content-type-options")) {
    res.headers.set("x-content-type-options", "nosniff");
  }
  return res;
}

/** The type of the gateway app: give it to `hc<AppType>()` from `hono/client`. */
export type AppType = GatewayApp;
