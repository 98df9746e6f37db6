/**
 * `npm start`: the gateway for development, under Deno.
 *
 * With no TrustAuthX credentials in the environment, it starts the local
 * emulator (a demo organisation, a demo admin) on a loopback port and the
 * gateway in front of it; with `TRUSTAUTHX_API_KEY`, `TRUSTAUTHX_SECRET_KEY`
 * and `TRUSTAUTHX_ORG_ID` set, it talks to the real TrustAuthX. Either way
 * the demo page is served at `/`. `PORT` (default 8787) is the gateway's port,
 * `EMULATOR_PORT` (default any free one) the emulator's, `DEMO_TOKEN_TTL_SECONDS`
 * (default 3600) the lifetime of the emulator's access tokens: set it short to see
 * the demo page's "refreshed" session state. A port in use or incomplete
 * credentials print one line and exit 1.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { AuthLiteClient } from "../client/mod.ts";
import { memoryStore } from "../cache/mod.ts";
import { createEmulator, DEMO_ORG } from "../emulator/mod.ts";
import { createGateway, createTelemetry } from "../gateway/mod.ts";
import type { AppType } from "../gateway/mod.ts";
import { uiRoutes } from "../../web/mod.ts";
// Swagger UI for /docs: built from swagger-ui-dist by `node scripts/build-docs-assets.mjs`
// (npm start runs it first), in neither package.
import { ui as swaggerUi } from "../../.tmp/docs-ui/swagger_ui.js";
import { AuthLiteInputError } from "../errors.ts";
import { configFromEnv, gatewayFromConfig, startErrorLine } from "./_config.ts";

/** The demo admin of emulator mode. */
export const DEMO_ADMIN_EMAIL = "admin@example.com";
/** The service key of emulator mode (never use it elsewhere). */
export const DEMO_SERVICE_KEY = "demo-service-key-for-local-development";
/** The admin key of emulator mode (never use it elsewhere). */
export const DEMO_ADMIN_KEY = "demo-admin-key-for-local-development";

/** A running development setup. */
export interface DevServer {
  /** The gateway's URL. */
  gatewayUrl: string;
  /** The emulator's URL, in emulator mode. */
  emulatorUrl: string | undefined;
  /** The emulator's access token lifetime, in emulator mode. */
  accessTokenTtlSeconds?: number;
  /** Stop everything. */
  close(): Promise<void>;
}

interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

function listen(
  port: number,
  handler: (req: Request, remoteAddr: string) => Response | Promise<Response>,
): Promise<Listening> {
  const ac = new AbortController();
  // Deno.serve throws AddrInUse at once for a busy port: the promise rejects with it.
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port,
      signal: ac.signal,
      onListen: (addr) => {
        resolve({
          url: `http://127.0.0.1:${addr.port}`,
          port: addr.port,
          close: async () => {
            ac.abort();
            await server.finished;
          },
        });
      },
    }, (req, info) => {
      // The peer's address, for the rate limiter (a header could be forged).
      const remote = info.remoteAddr;
      return handler(req, "hostname" in remote ? remote.hostname : "unix");
    });
  });
}

/** A port variable's value: a whole number from 0 to 65535 (default `fallback`). */
function portOf(env: Record<string, string>, name: string, fallback: number): number {
  const v = (env[name] ?? "").trim();
  if (v === "") return fallback;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) {
    throw new AuthLiteInputError("ERR_CONFIG", `Invalid ${name}: ${v} (a port from 0 to 65535)`);
  }
  return Number(v);
}

/** `DEMO_TOKEN_TTL_SECONDS`: the emulator's access token lifetime (default 3600). */
function demoTokenTtl(env: Record<string, string>): number {
  const v = (env["DEMO_TOKEN_TTL_SECONDS"] ?? "").trim();
  if (v === "") return 3600;
  if (!/^[1-9]\d{0,6}$/.test(v)) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      `Invalid DEMO_TOKEN_TTL_SECONDS: ${v} (a whole number of seconds, 1 or more)`,
    );
  }
  return Number(v);
}

/** Listen, naming the port variable when the port is busy. */
async function listenOn(
  env: Record<string, string>,
  name: string,
  fallback: number,
  handler: (req: Request, remoteAddr: string) => Response | Promise<Response>,
): Promise<Listening> {
  try {
    return await listen(portOf(env, name, fallback), handler);
  } catch (err) {
    const line = startErrorLine(err, env, name);
    if (line !== undefined) throw new AuthLiteInputError("ERR_CONFIG", line);
    throw err;
  }
}

/**
 * In emulator mode the login widget sends the browser back to the callback on
 * the gateway's own origin (`http://127.0.0.1:PORT`), and the login cookie lives
 * on the host that started the login. A page opened under another name
 * (`http://localhost:PORT`) is sent to the same path on the gateway's origin
 * first, so a login starts and ends on one host. Only browser navigations:
 * API callers are answered where they are (a redirect to another origin would
 * drop their Authorization header).
 */
function sameHostForPages(req: Request, origin: URL): Response | undefined {
  const url = new URL(req.url);
  if (url.host === origin.host || req.method !== "GET") return undefined;
  const navigation = req.headers.get("sec-fetch-mode") === "navigate" ||
    (req.headers.get("accept") ?? "").includes("text/html");
  if (!navigation) return undefined;
  return new Response(null, {
    status: 307,
    headers: {
      location: `${origin.origin}${url.pathname}${url.search}`,
      "cache-control": "no-store",
    },
  });
}

function hasCredentials(env: Record<string, string>): boolean {
  return ["TRUSTAUTHX_API_KEY", "TRUSTAUTHX_SECRET_KEY", "TRUSTAUTHX_ORG_ID"].some((k) =>
    (env[k] ?? "") !== ""
  );
}

const withUi = (app: Parameters<NonNullable<Parameters<typeof createGateway>[0]["ui"]>>[0]) => {
  app.route("/", uiRoutes());
};

/**
 * Start the development setup.
 *
 * @param env the environment variables
 * @returns the URLs and a way to stop
 * @throws {AuthLiteInputError} `ERR_CONFIG` when credentials are set but incomplete, a
 *   variable is invalid, or a port is in use (the message names the variable)
 */
export async function startDev(env: Record<string, string>): Promise<DevServer> {
  let app: AppType | undefined;
  // Set once the emulator is up: the origin pages are sent to (see sameHostForPages).
  const canonical: { origin?: URL } = {};
  const config = hasCredentials(env) ? configFromEnv(env) : undefined;
  const ttl = config === undefined ? demoTokenTtl(env) : 3600;
  const gateway = await listenOn(env, "PORT", 8787, (req, remoteAddr) => {
    if (app === undefined) return new Response("Starting", { status: 503 });
    const moved = canonical.origin && sameHostForPages(req, canonical.origin);
    return moved ?? app.fetch(req, { remoteAddr });
  });

  if (config !== undefined) {
    const built = await gatewayFromConfig(config, {
      store: memoryStore(),
      asyncLocalStorage: new AsyncLocalStorage(),
      // Development: Server-Timing on unless SERVER_TIMING=false.
      overrides: {
        ui: withUi,
        docs: { ui: swaggerUi },
        serverTiming: config.serverTiming ?? true,
      },
    });
    try {
      await built.checkAtStart();
    } catch (err) {
      await gateway.close();
      throw err;
    }
    app = built.app;
    return { gatewayUrl: gateway.url, emulatorUrl: undefined, close: gateway.close };
  }

  const org = { ...DEMO_ORG, callbackUrl: `${gateway.url}/auth/callback` };
  const emu = createEmulator({ orgs: [org], control: true, accessTokenTtlSeconds: ttl });
  const admins = emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
  emu.seedUser({ email: DEMO_ADMIN_EMAIL, name: "Demo Admin", roles: [admins.rol_id] });
  emu.seedUser({ email: "user@example.com", name: "Demo User" });
  let emulator: Listening;
  try {
    emulator = await listenOn(env, "EMULATOR_PORT", 0, (req) => emu.fetch(req));
  } catch (err) {
    await gateway.close();
    throw err;
  }
  canonical.origin = new URL(gateway.url);
  const telemetry = createTelemetry({ asyncLocalStorage: new AsyncLocalStorage() });
  const store = memoryStore();
  const client = new AuthLiteClient({
    apiKey: org.apiKey,
    secretKey: org.secretKey,
    orgId: org.orgId,
    baseUrl: emulator.url,
    widgetUrl: emulator.url,
    tokenCache: store,
    observe: telemetry.observe,
  });
  // The same limits as with real credentials (RATE_LIMIT_PER_MINUTE, and
  // /auth/* limited by default).
  const limits = configFromEnv({
    ...env,
    TRUSTAUTHX_API_KEY: org.apiKey,
    TRUSTAUTHX_SECRET_KEY: org.secretKey,
    TRUSTAUTHX_ORG_ID: org.orgId,
  });
  app = createGateway({
    client,
    sessionSecret: "dev-session-secret-for-the-local-emulator-only",
    telemetry,
    ready: { store },
    serverTiming: limits.serverTiming ?? true,
    ...(limits.rateLimitPerMinute === undefined
      ? {}
      : { rateLimit: { limit: limits.rateLimitPerMinute, windowSeconds: 60 } }),
    ...(limits.authRateLimitPerMinute === undefined
      ? {}
      : { authRateLimit: { limit: limits.authRateLimitPerMinute, windowSeconds: 60 } }),
    serviceKey: DEMO_SERVICE_KEY,
    adminKey: DEMO_ADMIN_KEY,
    cookie: { secure: env["COOKIE_SECURE"] !== "false" },
    // The emulator's demo keys are no secret: the demo page shows the profile round trip.
    profileEditing: true,
    redact: [org.apiKey, org.secretKey],
    ui: withUi,
    docs: { ui: swaggerUi },
  });
  return {
    gatewayUrl: gateway.url,
    emulatorUrl: emulator.url,
    accessTokenTtlSeconds: ttl,
    close: async () => {
      await gateway.close();
      await emulator.close();
    },
  };
}

if (import.meta.main) {
  const env = Deno.env.toObject();
  let dev: DevServer;
  try {
    dev = await startDev(env);
  } catch (err) {
    const line = startErrorLine(err, env);
    if (line === undefined) throw err;
    console.error(line);
    Deno.exit(1);
  }
  const lines = [
    `authlite gateway  ${dev.gatewayUrl}`,
    `  demo page       ${dev.gatewayUrl}/`,
    `  API docs        ${dev.gatewayUrl}/docs  (OpenAPI: ${dev.gatewayUrl}/openapi.json)`,
    `  log in          ${dev.gatewayUrl}/auth/login`,
  ];
  if (dev.emulatorUrl !== undefined) {
    lines.push(
      `TrustAuthX emulator ${dev.emulatorUrl}  (no credentials set: local emulator)`,
      `  demo admin      ${DEMO_ADMIN_EMAIL} (any other e-mail creates a user)`,
      `  access tokens   last ${dev.accessTokenTtlSeconds} s (DEMO_TOKEN_TTL_SECONDS=30 npm start: see a refresh sooner)`,
      `  service key     ${DEMO_SERVICE_KEY}  (Authorization: Bearer ... on /rpc/*)`,
      `  admin key       ${DEMO_ADMIN_KEY}  (on /admin/*)`,
    );
  } else {
    lines.push("Using the real TrustAuthX (credentials from the environment)");
  }
  console.log(lines.join("\n"));
}
