/**
 * The server side of `bench/gateway_bench.ts`: serves, side by side in one
 * process, each step from a bare Hono route to the gateway, on loopback
 * ports, and prints one JSON line describing them. Runs under Deno or Bun;
 * stops when its standard input closes.
 *
 * @module
 */
import { Hono } from "hono";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { AuthLiteClient, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { createGateway } from "../src/gateway/mod.ts";
import { serve } from "../tests/_serve.ts";

const SERVICE_KEY = "bench-service-key-0123456789";

/** One load target, as the driver reads it. */
export interface BenchVariant {
  /** What it is. */
  name: string;
  /** The variant it is compared with. */
  baseline: string;
  /** The URL to load. */
  url: string;
  /** The request: method, body, headers. */
  method: "GET" | "POST";
  body?: string;
  auth?: string;
  cookie?: string;
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

async function main(): Promise<void> {
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
  const gw = await serve(gateway.fetch);

  type Pair = { accessToken: string; refreshToken: string };
  const bare = new Hono()
    .post("/json", async (c) => {
      const body = await c.req.json<Pair>();
      return c.json({ state: true, access: body.accessToken, refresh: body.refreshToken });
    })
    .get("/me", (c) =>
      c.json({
        user: { uid: "u", email: "bench@example.com", name: null, img: null, roles: [] },
        session: { refreshed: false },
      }));
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
  const [bareServer, cachedServer, validatedServer] = await Promise.all([
    serve(bare.fetch),
    serve(cached.fetch),
    serve(validated.fetch),
  ]);

  // A session, validated once so that every run hits the cache.
  const s = emu.session({ email: "bench@example.com" });
  const body = JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken });
  const auth = `Bearer ${SERVICE_KEY}`;
  const warm = await fetch(`${gw.url}/rpc/validateTokenSet`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body,
  });
  if (warm.status !== 200) throw new Error(`Warm-up failed: ${warm.status}`);
  await warm.body?.cancel();
  // A browser session through the real login flow, for /auth/me.
  const code = emu.mintCode({ email: "bench@example.com" });
  const login = await fetch(`${gw.url}/auth/login`, {
    redirect: "manual",
    headers: { "sec-fetch-site": "none", accept: "text/html" },
  });
  const loginCookies = login.headers.getSetCookie().map((l) => l.split(";")[0]).join("; ");
  await login.body?.cancel();
  const cb = await fetch(`${gw.url}/auth/callback?code=${code}`, {
    redirect: "manual",
    headers: { cookie: loginCookies },
  });
  const cookie = cb.headers.getSetCookie().map((l) => l.split(";")[0]).filter((p) =>
    !p?.endsWith("=")
  ).join("; ");
  await cb.body?.cancel();
  const me = await fetch(`${gw.url}/auth/me`, { headers: { cookie } });
  if (me.status !== 200) throw new Error(`Session warm-up failed: ${me.status}`);
  await me.body?.cancel();
  emu.resetRequests();

  const variants: BenchVariant[] = [
    { name: "bare", baseline: "bare", url: `${bareServer.url}/json`, method: "POST", body },
    { name: "+ cache", baseline: "bare", url: `${cachedServer.url}/json`, method: "POST", body },
    {
      name: "+ validation",
      baseline: "bare",
      url: `${validatedServer.url}/json`,
      method: "POST",
      body,
    },
    {
      name: "gateway RPC",
      baseline: "bare",
      url: `${gw.url}/rpc/validateTokenSet`,
      method: "POST",
      body,
      auth,
    },
    { name: "bare GET", baseline: "bare GET", url: `${bareServer.url}/me`, method: "GET" },
    {
      name: "gateway /auth/me",
      baseline: "bare GET",
      url: `${gw.url}/auth/me`,
      method: "GET",
      cookie,
    },
  ];
  const runtime = g.Deno ? `Deno ${g.Deno.version.deno}` : `Bun ${g.Bun?.version}`;
  console.log(JSON.stringify({ runtime, variants }));

  // Until the driver closes our standard input; then report the upstream calls.
  const stdin = g.Deno ? g.Deno.stdin.readable : g.Bun.stdin.stream();
  for await (const _ of stdin) { /* the driver sends nothing */ }
  console.log(
    JSON.stringify({ upstreamCalls: emu.requests().total, byPath: emu.requests().byPath }),
  );
  await Promise.all(
    [gw, bareServer, cachedServer, validatedServer, upstream].map((x) => x.close()),
  );
  g.Deno ? g.Deno.exit(0) : g.process.exit(0);
}

await main();
