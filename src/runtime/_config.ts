/**
 * The gateway's configuration from environment variables (or Worker
 * bindings), validated at start with one message that names everything
 * missing or wrong; shared by every runtime entry.
 *
 * @module
 */
import { labelledSecret } from "../_kdf.ts";
import { AuthLiteClient, signApiKey } from "../client/mod.ts";
import type { KVStore } from "../cache/mod.ts";
import { AuthLiteInputError } from "../errors.ts";
import {
  type AsyncLocalStorageLike,
  checkUpstream,
  createGateway,
  createTelemetry,
  type GatewayOptions,
  type GatewayTelemetry,
} from "../gateway/mod.ts";
import type { AppType } from "../gateway/mod.ts";

/** The variables the gateway reads. */
export interface GatewayEnv {
  /** The organisation's API key (required). */
  TRUSTAUTHX_API_KEY?: string;
  /** The organisation's secret key (required). */
  TRUSTAUTHX_SECRET_KEY?: string;
  /** The organisation id (required). */
  TRUSTAUTHX_ORG_ID?: string;
  /** Base URL of the TrustAuthX API (default the hosted one). */
  TRUSTAUTHX_BASE_URL?: string;
  /** Origin of the login widget (default the hosted one). */
  TRUSTAUTHX_WIDGET_URL?: string;
  /** Service key(s) of `/rpc/*`, comma-separated during a rotation. */
  SERVICE_KEY?: string;
  /** Admin key(s) of `/admin/*`, comma-separated during a rotation. */
  ADMIN_KEY?: string;
  /** Key of the profile cookies (default: derived from the secret key). */
  SESSION_SECRET?: string;
  /** Public origin of the gateway (default: the request's). */
  PUBLIC_URL?: string;
  /** Origins allowed by CORS, comma-separated. */
  CORS_ORIGINS?: string;
  /** `false` to drop the `Secure` attribute of cookies (plain-http development only). */
  COOKIE_SECURE?: string;
  /** Where the browser goes after a login (default `/`). */
  POST_LOGIN_PATH?: string;
  /** `true` to let `/auth/profile` hand TrustAuthX's settings URL (API key, signed key) to users. */
  PROFILE_EDITING?: string;
  /** Requests per minute and client address on `/auth`, `/rpc`, `/admin` (default none). */
  RATE_LIMIT_PER_MINUTE?: string;
  /** Requests per minute and client address on the session routes (`/auth`, `/admin` without the admin key; default 300; `off`: none). */
  AUTH_RATE_LIMIT_PER_MINUTE?: string;
  /** How many proxies of your own are in front, whose `X-Forwarded-For` hops are trusted (default 0). */
  TRUSTED_PROXIES?: string;
  /** `true` to add `Server-Timing` to every reply (default `false`; `npm start`: `true`). */
  SERVER_TIMING?: string;
}

/** The validated configuration. */
export interface GatewayConfig {
  /** The organisation's API key. */
  apiKey: string;
  /** The organisation's secret key. */
  secretKey: string;
  /** The organisation id. */
  orgId: string;
  /** Base URL of the API, if not the hosted one. */
  baseUrl: string | undefined;
  /** Origin of the login widget, if not the hosted one. */
  widgetUrl: string | undefined;
  /** Accepted service keys. */
  serviceKeys: string[];
  /** Accepted admin keys. */
  adminKeys: string[];
  /** Key of the profile cookies, if given (else derived from the secret key). */
  sessionSecret: string | undefined;
  /** Public origin of the gateway, if given. */
  publicUrl: string | undefined;
  /** CORS origins. */
  corsOrigins: string[];
  /** Whether cookies are `Secure`. */
  cookieSecure: boolean;
  /** Whether `/auth/profile` is on (`PROFILE_EDITING=true`). */
  profileEditing: boolean;
  /** Where the browser goes after a login. */
  postLoginPath: string | undefined;
  /** Requests per minute, if limited. */
  rateLimitPerMinute: number | undefined;
  /** Requests per minute on the session routes, if limited. */
  authRateLimitPerMinute: number | undefined;
  /** How many proxies in front are trusted for `X-Forwarded-For`. */
  trustedProxies: number;
  /** Whether replies carry `Server-Timing` (`undefined`: the entry's default). */
  serverTiming: boolean | undefined;
}

/** The default limit of `/auth/*` per client address and minute. */
export const DEFAULT_AUTH_RATE_LIMIT = 300;

const REQUIRED = ["TRUSTAUTHX_API_KEY", "TRUSTAUTHX_SECRET_KEY", "TRUSTAUTHX_ORG_ID"] as const;

function text(env: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = env[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

function csv(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * Read and validate the configuration.
 *
 * @param env the environment variables or Worker bindings
 * @returns the configuration
 * @throws {AuthLiteInputError} `ERR_CONFIG`, naming every variable that is missing or wrong
 */
export function configFromEnv(env: Readonly<Record<string, unknown>>): GatewayConfig {
  const missing = REQUIRED.filter((name) => text(env, name) === undefined);
  const wrong: string[] = [];
  for (const name of ["TRUSTAUTHX_BASE_URL", "TRUSTAUTHX_WIDGET_URL", "PUBLIC_URL"]) {
    const v = text(env, name);
    if (v !== undefined && !isHttpUrl(v)) wrong.push(`${name} must be an http(s) URL`);
  }
  const serviceKeys = csv(text(env, "SERVICE_KEY"));
  const adminKeys = csv(text(env, "ADMIN_KEY"));
  if (serviceKeys.some((k) => k.length < 16)) wrong.push("SERVICE_KEY must be 16+ characters");
  if (adminKeys.some((k) => k.length < 16)) wrong.push("ADMIN_KEY must be 16+ characters");
  const sessionSecret = text(env, "SESSION_SECRET");
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    wrong.push("SESSION_SECRET must be 32+ characters");
  }
  const cookie = text(env, "COOKIE_SECURE");
  if (cookie !== undefined && cookie !== "true" && cookie !== "false") {
    wrong.push("COOKIE_SECURE must be true or false");
  }
  const profileEditing = text(env, "PROFILE_EDITING");
  if (profileEditing !== undefined && profileEditing !== "true" && profileEditing !== "false") {
    wrong.push("PROFILE_EDITING must be true or false");
  }
  const rate = text(env, "RATE_LIMIT_PER_MINUTE");
  if (rate !== undefined && !/^[1-9][0-9]*$/.test(rate)) {
    wrong.push("RATE_LIMIT_PER_MINUTE must be a positive integer");
  }
  const authRate = text(env, "AUTH_RATE_LIMIT_PER_MINUTE");
  if (authRate !== undefined && authRate !== "off" && !/^[1-9][0-9]*$/.test(authRate)) {
    wrong.push("AUTH_RATE_LIMIT_PER_MINUTE must be a positive integer or off");
  }
  const timing = text(env, "SERVER_TIMING");
  if (timing !== undefined && timing !== "true" && timing !== "false") {
    wrong.push("SERVER_TIMING must be true or false");
  }
  const proxies = text(env, "TRUSTED_PROXIES");
  if (proxies !== undefined && !/^[0-9]{1,2}$/.test(proxies)) {
    wrong.push("TRUSTED_PROXIES must be a whole number (0 or more)");
  }
  const corsOrigins = csv(text(env, "CORS_ORIGINS"));
  for (const origin of corsOrigins) {
    if (!isHttpUrl(origin)) wrong.push(`CORS_ORIGINS has an entry that is not an origin`);
  }
  if (missing.length > 0 || wrong.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`missing ${missing.join(", ")}`);
    if (wrong.length > 0) parts.push(wrong.join("; "));
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      `Invalid gateway configuration: ${
        parts.join("; ")
      } (set them as environment variables or Worker secrets)`,
    );
  }
  return {
    apiKey: text(env, "TRUSTAUTHX_API_KEY") ?? "",
    secretKey: text(env, "TRUSTAUTHX_SECRET_KEY") ?? "",
    orgId: text(env, "TRUSTAUTHX_ORG_ID") ?? "",
    baseUrl: text(env, "TRUSTAUTHX_BASE_URL"),
    widgetUrl: text(env, "TRUSTAUTHX_WIDGET_URL"),
    serviceKeys,
    adminKeys,
    sessionSecret,
    publicUrl: text(env, "PUBLIC_URL"),
    corsOrigins,
    cookieSecure: cookie !== "false",
    profileEditing: profileEditing === "true",
    postLoginPath: text(env, "POST_LOGIN_PATH"),
    rateLimitPerMinute: rate === undefined ? undefined : Number(rate),
    authRateLimitPerMinute: authRate === "off"
      ? undefined
      : authRate === undefined
      ? DEFAULT_AUTH_RATE_LIMIT
      : Number(authRate),
    trustedProxies: proxies === undefined ? 0 : Number(proxies),
    serverTiming: timing === undefined ? undefined : timing === "true",
  };
}

/**
 * The session secret: the configured one, or one derived from the secret key
 * (HMAC-SHA-256 under a fixed label, so the secret key itself never signs a
 * cookie and every instance derives the same).
 *
 * @param config the configuration
 * @returns the session secret
 */
export async function sessionSecretOf(config: GatewayConfig): Promise<string> {
  if (config.sessionSecret !== undefined) return config.sessionSecret;
  return await Promise.resolve(
    labelledSecret(config.secretKey, "authlite-gateway-session-secret-v1"),
  );
}

/** Options of {@linkcode gatewayFromConfig}. */
export interface GatewayFromConfigOptions {
  /** The token cache's store. */
  store: KVStore;
  /** The `fetch` the client uses (default the global one). */
  fetch?: typeof fetch;
  /** Gateway options that override the configuration (e.g. a `ui`). */
  overrides?: Partial<GatewayOptions>;
  /** `new AsyncLocalStorage()` where `node:async_hooks` is there (Deno, Bun, Node). */
  asyncLocalStorage?: AsyncLocalStorageLike;
}

/**
 * Build the client and the gateway from a configuration.
 *
 * @param config the configuration
 * @param options the store and overrides
 * @returns the client and the app
 * @throws {AuthLiteInputError} `ERR_CONFIG` when an option is invalid
 */
export async function gatewayFromConfig(
  config: GatewayConfig,
  options: GatewayFromConfigOptions,
): Promise<{
  client: AuthLiteClient;
  app: AppType;
  telemetry: GatewayTelemetry;
  /** The start-up check ({@linkcode checkCredentialsAtStart}): its rejection is one line, not a log record too. */
  checkAtStart: () => Promise<void>;
}> {
  const telemetry = options.overrides?.telemetry ?? createTelemetry(
    options.asyncLocalStorage === undefined ? {} : { asyncLocalStorage: options.asyncLocalStorage },
  );
  let starting = false;
  const client = new AuthLiteClient({
    apiKey: config.apiKey,
    secretKey: config.secretKey,
    orgId: config.orgId,
    tokenCache: options.store,
    ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    ...(config.widgetUrl === undefined ? {} : { widgetUrl: config.widgetUrl }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    // While the start-up check runs, a credentials rejection is its one line alone.
    observe: (event) => {
      if (!(starting && event.type === "credentials")) telemetry.observe(event);
    },
  });
  const app = createGateway({
    client,
    telemetry,
    ready: { store: options.store },
    ...(config.serverTiming === undefined ? {} : { serverTiming: config.serverTiming }),
    sessionSecret: await sessionSecretOf(config),
    serviceKey: config.serviceKeys,
    adminKey: config.adminKeys,
    cookie: { secure: config.cookieSecure },
    profileEditing: config.profileEditing,
    redact: [config.apiKey, config.secretKey, await signApiKey(config.apiKey, config.secretKey)],
    ...(config.publicUrl === undefined ? {} : { publicUrl: config.publicUrl }),
    ...(config.postLoginPath === undefined ? {} : { postLoginPath: config.postLoginPath }),
    ...(config.corsOrigins.length === 0 ? {} : { cors: config.corsOrigins }),
    ...(config.rateLimitPerMinute === undefined
      ? {}
      : { rateLimit: { limit: config.rateLimitPerMinute, windowSeconds: 60 } }),
    ...(config.authRateLimitPerMinute === undefined
      ? {}
      : { authRateLimit: { limit: config.authRateLimitPerMinute, windowSeconds: 60 } }),
    trustedProxies: config.trustedProxies,
    ...options.overrides,
  });
  const checkAtStart = async (): Promise<void> => {
    starting = true;
    try {
      await checkCredentialsAtStart(client, telemetry);
    } finally {
      starting = false;
    }
  };
  return { client, app, telemetry, checkAtStart };
}

/**
 * The start-up check of the runtime entries: one signed call upstream. Rejected
 * credentials stop the start with one line naming the variable to fix; an
 * upstream that cannot be reached (or takes over `timeoutMs`) is logged, and
 * the gateway starts all the same (`/ready` says 503 until it answers).
 *
 * @param client the client
 * @param telemetry where to log an unreachable upstream
 * @param timeoutMs how long to wait for the call (default 5000)
 * @throws {AuthLiteInputError} `ERR_CONFIG` when TrustAuthX rejects the credentials
 */
export async function checkCredentialsAtStart(
  client: AuthLiteClient,
  telemetry: GatewayTelemetry,
  timeoutMs = 5000,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<{ ok: false; reason: string; fix?: undefined }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: "timeout" }), timeoutMs);
  });
  const state = await Promise.race([checkUpstream(client), late]).finally(() =>
    clearTimeout(timer)
  );
  if (state.ok) return;
  if (state.fix !== undefined) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      `TrustAuthX rejected the organisation's credentials: check ${state.fix}`,
    );
  }
  telemetry.log("start-upstream", {
    level: "warn",
    event: "upstream-error",
    message: `TrustAuthX did not answer the start-up check (${state.reason}): ` +
      "starting anyway; /ready answers 503 until it does",
  });
}

/** Whether `err` is a listen error for a port already in use (Deno, Bun or node:net). */
function isAddrInUse(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  return e.name === "AddrInUse" || e.code === "EADDRINUSE";
}

/**
 * The one line to print when a runtime entry cannot start: the configuration
 * error's message, or which port variable to change for a busy port.
 *
 * @param err what starting threw
 * @param env the environment (for the port's value)
 * @param portVariable the variable that sets the port (default `PORT`)
 * @returns the line, or `undefined` for an error that is not a start error (a bug: let it throw)
 */
export function startErrorLine(
  err: unknown,
  env: Readonly<Record<string, unknown>>,
  portVariable = "PORT",
): string | undefined {
  if (err instanceof AuthLiteInputError && err.code === "ERR_CONFIG") return err.message;
  if (isAddrInUse(err)) {
    const port = typeof env[portVariable] === "string" ? env[portVariable] : "8787";
    return `Port ${port} is in use (${portVariable}): stop what holds it, or set ${portVariable} to a free port`;
  }
  return undefined;
}
