/**
 * The apps of `bench/gateway_bench.ts`, built once for both of its uses: the
 * server (`_gateway_bench_server.ts`, loaded by `wrk`) and the in-process
 * profile (`gateway_profile.ts`, `app.fetch` in a loop). Each step from a
 * bare Hono route to the gateway, with the request that loads it.
 *
 * @module
 */
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { AuthLiteClient, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { createGateway } from "../src/gateway/mod.ts";
import { serve } from "../tests/_serve.ts";

const SERVICE_KEY = "bench-service-key-0123456789";

/** One step, as the driver and the profile read it. */
export interface BenchApp {
  /** What it is. */
  name: string;
  /** The step it is compared with. */
  baseline: string;
  /**
   * The bare route doing only what the gateway must (read the credential
   * header, send the gateway's two security headers), if compared with one.
   */
  floor?: string;
  /** The app's fetch handler. */
  fetch: (request: Request) => Response | Promise<Response>;
  /** The path to load. */
  path: string;
  /** The request: method, body, headers. */
  method: "GET" | "POST";
  body?: string;
  auth?: string;
  cookie?: string;
}

/** The apps, and how to stop what they need. */
export interface BenchApps {
  apps: BenchApp[];
  /** The client behind the gateway (its cache warmed). */
  client: AuthLiteClient;
  /** The gateway. */
  gateway: ReturnType<typeof createGateway>;
  /** The upstream calls made since the warm-up. */
  upstream(): { total: number; byPath: Record<string, number> };
  close(): Promise<void>;
}

/**
 * A `Request` for one step.
 *
 * @param app the step
 * @param origin where it is served (any origin in process)
 * @returns the request
 */
export function requestOf(app: BenchApp, origin = "http://localhost"): Request {
  const headers: Record<string, string> = {};
  if (app.body !== undefined) {
    // As a client over a socket sends it (a Request built here has none).
    headers["content-type"] = "application/json";
    headers["content-length"] = String(new TextEncoder().encode(app.body).byteLength);
  }
  if (app.auth !== undefined) headers["authorization"] = app.auth;
  if (app.cookie !== undefined) headers["cookie"] = app.cookie;
  return new Request(`${origin}${app.path}`, {
    method: app.method,
    headers,
    ...(app.body === undefined ? {} : { body: app.body }),
  });
}

/**
 * Build every step, an emulator as their upstream, and a session warmed in
 * the cache (an RPC validation and a browser signed in through the real login
 * flow), so that every measured request hits the cache.
 *
 * @returns the apps
 */
export async function benchApps(): Promise<BenchApps> {
  const emu = createEmulator({ accessTokenTtlSeconds: 3600 });
  const upstream = await serve(emu.fetch);
  const client = new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: upstream.url,
    widgetUrl: upstream.url,
    tokenCache: memoryStore(),
  });
  const gateway = createGateway({
    client,
    sessionSecret: "bench-session-secret-0123456789-0123456789",
    serviceKey: SERVICE_KEY,
    cookie: { secure: false },
  });

  type Pair = { accessToken: string; refreshToken: string };
  const bare = new Hono()
    .post("/json", async (c) => {
      const body = await c.req.json<Pair>();
      return c.json({ state: true, access: body.accessToken, refresh: body.refreshToken });
    })
    // The session's three cookies read with hono's own parser, and a reply of
    // the size of /auth/me's.
    .get("/me", (c) => {
      const jar = getCookie(c);
      const seen = ["access", "refresh", "profile"].filter((n) =>
        jar[`authlite_${n}`] !== undefined
      );
      return c.json({
        user: { uid: "u", email: "bench@example.com", name: null, img: null, roles: [] },
        session: { refreshed: seen.length !== 3 },
      });
    });
  // The bare routes plus what no gateway can skip: reading the credential
  // header, and replies with `Cache-Control: no-store` and `nosniff`.
  const secured = {
    "content-type": "application/json",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  };
  const floor = new Hono()
    .post("/json", async (c) => {
      const authorized = c.req.header("authorization") !== undefined;
      const body = await c.req.json<Pair>();
      const reply = { state: authorized, access: body.accessToken, refresh: body.refreshToken };
      return new Response(JSON.stringify(reply), { headers: secured });
    })
    .get("/me", (c) => {
      const jar = getCookie(c);
      const seen = ["access", "refresh", "profile"].filter((n) =>
        jar[`authlite_${n}`] !== undefined
      );
      const reply = {
        user: { uid: "u", email: "bench@example.com", name: null, img: null, roles: [] },
        session: { refreshed: seen.length !== 3 },
      };
      return new Response(JSON.stringify(reply), { headers: secured });
    });
  const cached = new Hono().post("/json", async (c) => {
    const body = await c.req.json<Pair>();
    return c.json(await client.validateTokenSet(body.accessToken, body.refreshToken));
  });
  const input = z.object({
    accessToken: z.string().min(1).max(8192),
    refreshToken: z.string().min(1).max(8192).optional(),
  });
  const output = z.object({
    state: z.boolean(),
    access: z.string(),
    refresh: z.string().nullable(),
  });
  const validated = new OpenAPIHono().openapi(
    createRoute({
      method: "post",
      path: "/json",
      request: { body: { content: { "application/json": { schema: input } }, required: true } },
      responses: { 200: { content: { "application/json": { schema: output } }, description: "" } },
    }),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(await client.validateTokenSet(body.accessToken, body.refreshToken), 200);
    },
  );

  // A session, validated once so that every run hits the cache.
  const s = emu.session({ email: "bench@example.com" });
  const body = JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken });
  const auth = `Bearer ${SERVICE_KEY}`;
  const origin = "http://localhost";
  const warm = await gateway.fetch(
    new Request(`${origin}/rpc/validateTokenSet`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body,
    }),
  );
  if (warm.status !== 200) throw new Error(`Warm-up failed: ${warm.status}`);
  await warm.body?.cancel();
  // A browser session through the real login flow, for /auth/me.
  const code = emu.mintCode({ email: "bench@example.com" });
  const login = await gateway.fetch(
    new Request(`${origin}/auth/login`, {
      redirect: "manual",
      headers: { "sec-fetch-site": "none", accept: "text/html" },
    }),
  );
  const loginCookies = login.headers.getSetCookie().map((l) => l.split(";")[0]).join("; ");
  await login.body?.cancel();
  const cb = await gateway.fetch(
    new Request(`${origin}/auth/callback?code=${code}`, { headers: { cookie: loginCookies } }),
  );
  const cookie = cb.headers.getSetCookie().map((l) => l.split(";")[0]).filter((p) =>
    !p?.endsWith("=")
  ).join("; ");
  await cb.body?.cancel();
  const me = await gateway.fetch(new Request(`${origin}/auth/me`, { headers: { cookie } }));
  if (me.status !== 200) throw new Error(`Session warm-up failed: ${me.status}`);
  await me.body?.cancel();
  emu.resetRequests();

  const apps: BenchApp[] = [
    { name: "bare", baseline: "bare", fetch: bare.fetch, path: "/json", method: "POST", body },
    { name: "+ cache", baseline: "bare", fetch: cached.fetch, path: "/json", method: "POST", body },
    {
      name: "+ validation",
      baseline: "bare",
      fetch: validated.fetch,
      path: "/json",
      method: "POST",
      body,
    },
    {
      name: "bare + must",
      baseline: "bare",
      fetch: floor.fetch,
      path: "/json",
      method: "POST",
      body,
      auth,
    },
    {
      name: "gateway RPC",
      baseline: "bare",
      floor: "bare + must",
      fetch: gateway.fetch,
      path: "/rpc/validateTokenSet",
      method: "POST",
      body,
      auth,
    },
    {
      name: "bare GET",
      baseline: "bare GET",
      fetch: bare.fetch,
      path: "/me",
      method: "GET",
      cookie,
    },
    {
      name: "bare GET + must",
      baseline: "bare GET",
      fetch: floor.fetch,
      path: "/me",
      method: "GET",
      cookie,
    },
    {
      name: "gateway /auth/me",
      baseline: "bare GET",
      floor: "bare GET + must",
      fetch: gateway.fetch,
      path: "/auth/me",
      method: "GET",
      cookie,
    },
  ];
  // The same two calls through Hono's dispatch alone, without the hot lane in
  // front (src/gateway/_lane.ts; absent from a checkout before it): its gain
  // measured in the same process.
  const lane = await import("../src/gateway/_lane.ts").catch(() => undefined);
  if (lane !== undefined) {
    const hono: BenchApp["fetch"] = lane.honoFetchOf(gateway);
    for (const name of ["gateway RPC", "gateway /auth/me"]) {
      const app = apps.find((a) => a.name === name)!;
      apps.push({ ...app, name: `${name}, no lane`, fetch: hono });
    }
  }
  return {
    apps,
    client,
    gateway,
    upstream: () => ({ total: emu.requests().total, byPath: emu.requests().byPath }),
    close: () => upstream.close(),
  };
}
