/**
 * `npm start`: the gateway for development, under Deno.
 *
 * With no TrustAuthX credentials in the environment, it starts the local
 * emulator (a demo organisation, a demo admin) on a loopback port and the
 * gateway in front of it; with `TRUSTAUTHX_API_KEY`, `TRUSTAUTHX_SECRET_KEY`
 * and `TRUSTAUTHX_ORG_ID` set, it talks to the real TrustAuthX. Either way
 * the demo page is served at `/`. `PORT` (default 8787) is the gateway's port,
 * `EMULATOR_PORT` (default any free one) the emulator's.
 *
 * @module
 */
import { AuthLiteClient } from "../client/mod.ts";
import { memoryStore } from "../cache/mod.ts";
import { createEmulator, DEMO_ORG } from "../emulator/mod.ts";
import { createGateway } from "../gateway/mod.ts";
import type { AppType } from "../gateway/mod.ts";
import { uiRoutes } from "../../web/mod.ts";
import { configFromEnv, gatewayFromConfig } from "./_config.ts";

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
 * @throws {AuthLiteInputError} `ERR_CONFIG` when credentials are set but incomplete
 */
export async function startDev(env: Record<string, string>): Promise<DevServer> {
  let app: AppType | undefined;
  const gateway = await listen(Number(env["PORT"] ?? 8787), (req, remoteAddr) => {
    if (app === undefined) return new Response("Starting", { status: 503 });
    return app.fetch(req, { remoteAddr });
  });

  if (hasCredentials(env)) {
    const config = configFromEnv(env);
    app = (await gatewayFromConfig(config, { store: memoryStore(), overrides: { ui: withUi } }))
      .app;
    return { gatewayUrl: gateway.url, emulatorUrl: undefined, close: gateway.close };
  }

  const org = { ...DEMO_ORG, callbackUrl: `${gateway.url}/auth/callback` };
  const emu = createEmulator({ orgs: [org], control: true });
  const admins = emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
  emu.seedUser({ email: DEMO_ADMIN_EMAIL, name: "Demo Admin", roles: [admins.rol_id] });
  emu.seedUser({ email: "user@example.com", name: "Demo User" });
  const emulator = await listen(Number(env["EMULATOR_PORT"] ?? 0), (req) => emu.fetch(req));
  const client = new AuthLiteClient({
    apiKey: org.apiKey,
    secretKey: org.secretKey,
    orgId: org.orgId,
    baseUrl: emulator.url,
    widgetUrl: emulator.url,
    tokenCache: memoryStore(),
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
  });
  return {
    gatewayUrl: gateway.url,
    emulatorUrl: emulator.url,
    close: async () => {
      await gateway.close();
      await emulator.close();
    },
  };
}

if (import.meta.main) {
  const dev = await startDev(Deno.env.toObject());
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
      `  service key     ${DEMO_SERVICE_KEY}  (Authorization: Bearer ... on /rpc/*)`,
      `  admin key       ${DEMO_ADMIN_KEY}  (on /admin/*)`,
    );
  } else {
    lines.push("Using the real TrustAuthX (credentials from the environment)");
  }
  console.log(lines.join("\n"));
}
