/**
 * The middleware in a user's own Hono app, served over HTTP in front of the
 * emulator: sessions from the gateway's cookies and from Bearer tokens, 401,
 * 403, refresh, and the types that flow through `c.var`. The type assertions
 * are checked by `deno check`.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { AuthLiteClient, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { createGateway } from "../src/gateway/mod.ts";
import {
  authlite,
  type AuthLiteEnv,
  getAuthLite,
  getSession,
  requirePermission,
  requireSession,
  type Session,
} from "../src/hono/mod.ts";
import { CookieJar } from "./_gateway_fixture.ts";
import { serve, type TestServer } from "./_serve.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
type Expect<T extends true> = T;

const SECRET = "a-session-secret-shared-with-the-gateway-0123";

/** A user's own app, protected by the middleware. */
function userApp(client: AuthLiteClient) {
  return new Hono()
    .use(authlite({ client, sessionSecret: SECRET }))
    .get("/", (c) => c.text(`Hello ${getSession(c)?.email ?? "stranger"}`))
    .get("/me", requireSession(), (c) => {
      const session = c.var.session;
      const refreshed = getAuthLite(c)?.refreshed ?? false;
      return c.json({ user: session, refreshed });
    })
    .get("/reports", requirePermission("reports", "read"), (c) => c.json({ ok: true }));
}

// The types flow through Hono's Env: c.var.session and getSession are typed.
{
  const app = new Hono<AuthLiteEnv>().get("/", (c) => {
    const fromVar = c.var.session;
    const fromGet = getSession(c);
    type _V = Expect<Equal<typeof fromVar, Session | null>>;
    type _G = Expect<Equal<typeof fromGet, Session | null>>;
    if (fromVar !== null) {
      type _R = Expect<Equal<typeof fromVar.roles, string[]>>;
      type _U = Expect<Equal<typeof fromVar.uid, string>>;
    }
    return c.text("ok");
  });
  void app;
  // Chained on a plain Hono app, the middleware brings its variables along.
  new Hono().use(authlite({ client: {} as AuthLiteClient })).get("/", (c) => {
    const s = c.var.session;
    type _C = Expect<Equal<typeof s, Session | null>>;
    // @ts-expect-error: no such variable
    c.var.nope;
    return c.text("ok");
  });
}

interface Fixture {
  emu: Emulator;
  upstream: TestServer;
  client: AuthLiteClient;
  app: TestServer;
  gateway: ReturnType<typeof createGateway>;
  advance(seconds: number): void;
  close(): Promise<void>;
}

async function start(): Promise<Fixture> {
  let offset = 0;
  const now = () => Date.now() + offset;
  const emu = createEmulator({ control: true });
  const upstream = await serve(emu.fetch);
  const client = new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: upstream.url,
    widgetUrl: upstream.url,
    tokenCache: memoryStore({ now }),
    retries: 0,
    now,
  });
  const app = await serve(userApp(client).fetch);
  const gateway = createGateway({ client, sessionSecret: SECRET });
  return {
    emu,
    upstream,
    client,
    app,
    gateway,
    advance(seconds) {
      offset += seconds * 1000;
      emu.advanceClock(seconds);
    },
    close: async () => {
      await app.close();
      await upstream.close();
    },
  };
}

/** Sign in through the gateway's routes: the jar holds the gateway's cookies. */
async function signIn(fx: Fixture, email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const origin = "http://gw.test";
  jar.take(await fx.gateway.request(`${origin}/auth/login`));
  const code = fx.emu.mintCode({ email });
  jar.take(
    await fx.gateway.request(`${origin}/auth/callback?code=${code}`, {
      headers: { cookie: jar.header() },
    }),
  );
  assert.ok(jar.get("authlite_access") && jar.get("authlite_profile"), "signed in");
  return jar;
}

async function get(fx: Fixture, path: string, headers: Record<string, string> = {}) {
  return await fetch(`${fx.app.url}${path}`, { headers });
}

test("authlite() with the gateway's cookies: 200 and the user, with no upstream call", async () => {
  const fx = await start();
  try {
    fx.emu.seedUser({ email: "ada@example.com", name: "Ada" });
    const jar = await signIn(fx, "ada@example.com");
    fx.emu.resetRequests();
    const res = await get(fx, "/me", { cookie: jar.header() });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.user.email, "ada@example.com");
    assert.equal(body.user.name, "Ada");
    assert.deepEqual(body.user.roles, []);
    assert.equal(body.refreshed, false);
    assert.equal(res.headers.getSetCookie().length, 0, "no cookie re-set");
    // One validation; the user (roles included) comes from the signed cookie.
    assert.deepEqual(fx.emu.requests().byPath, { "/api/user/me/auth/validate/token": 1 });
    fx.emu.resetRequests();
    const again = await get(fx, "/me", { cookie: jar.header() });
    assert.equal(again.status, 200);
    assert.equal(fx.emu.requests().total, 0, "answered from the token cache and the cookie");

    const home = await get(fx, "/", { cookie: jar.header() });
    assert.equal(await home.text(), "Hello ada@example.com");
  } finally {
    await fx.close();
  }
});

test("authlite(): a client that keeps an old profile cookie costs one upstream read per role TTL, not one per request", async () => {
  const fx = await start();
  try {
    fx.emu.seedUser({ email: "cy@example.com", name: "Cy" });
    const jar = await signIn(fx, "cy@example.com");
    const old = jar.header();
    // Past the role TTL (30 s), the roles in the cookie are re-read once; a client
    // that never stores the re-set cookie (a script, an SSR fetch) sends the old one.
    fx.advance(31);
    fx.emu.resetRequests();
    for (let i = 0; i < 5; i++) {
      const res = await get(fx, "/me", { cookie: old });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).user.email, "cy@example.com");
    }
    assert.equal(fx.emu.requests().byPath["/api/user/me/data"], 1, "one re-read for five requests");
  } finally {
    await fx.close();
  }
});

test("authlite(): requests of one session in flight when its roles expire share one upstream read", async () => {
  const fx = await start();
  try {
    fx.emu.seedUser({ email: "dee@example.com", name: "Dee" });
    const jar = await signIn(fx, "dee@example.com");
    fx.advance(31);
    fx.emu.resetRequests();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => get(fx, "/me", { cookie: jar.header() })),
    );
    for (const res of replies) {
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    assert.equal(fx.emu.requests().byPath["/api/user/me/data"], 1, "one read for 20 requests");
  } finally {
    await fx.close();
  }
});

test("authlite() with Authorization: Bearer: 200; the user is read once, then cached", async () => {
  const fx = await start();
  try {
    const s = fx.emu.session({ email: "bob@example.com" });
    fx.emu.resetRequests();
    for (let i = 0; i < 3; i++) {
      const res = await get(fx, "/me", { authorization: `Bearer ${s.accessToken}` });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).user.uid, s.uid);
      assert.equal(res.headers.getSetCookie().length, 0, "a Bearer session sets no cookie");
    }
    const calls = fx.emu.requests().byPath;
    assert.equal(calls["/api/user/me/auth/validate/token"], 1);
    assert.equal(calls["/api/user/me/data"], 1);
  } finally {
    await fx.close();
  }
});

test("requireSession() answers 401 with the error body without a session or with a bad one", async () => {
  const fx = await start();
  try {
    const none = await get(fx, "/me");
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), {
      error: { code: "ERR_UNAUTHORIZED", message: "Not signed in: log in first" },
    });
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);

    const forged = await get(fx, "/me", { authorization: "Bearer not-a-token-of-ours" });
    assert.equal(forged.status, 401);
    assert.equal((await forged.json()).error.code, "ERR_INVALID_TOKEN_SET");

    // An open route still answers, with no session.
    assert.equal(await (await get(fx, "/")).text(), "Hello stranger");

    // Dead session cookies are cleared.
    const s = fx.emu.session({ email: "gone@example.com" });
    await fx.client.revokeToken({ accessToken: s.accessToken, refreshToken: s.refreshToken });
    const dead = await get(fx, "/me", {
      cookie: `authlite_access=${s.accessToken}; authlite_refresh=${s.refreshToken}`,
    });
    assert.equal(dead.status, 401);
    const cleared = dead.headers.getSetCookie();
    assert.ok(cleared.some((l) => /^authlite_access=;/.test(l)), cleared.join("\n"));
  } finally {
    await fx.close();
  }
});

test("requirePermission() answers 403 without the permission and 200 with it", async () => {
  const fx = await start();
  try {
    const readers = fx.emu.seedRole({ name: "readers", permissions: [{ reports: "read" }] });
    const writers = fx.emu.seedRole({ name: "writers", permissions: [{ reports: "write" }] });
    fx.emu.seedUser({ email: "rita@example.com", roles: [readers.rol_id] });
    fx.emu.seedUser({ email: "walt@example.com", roles: [writers.rol_id] });
    const rita = fx.emu.session({ email: "rita@example.com" });
    const walt = fx.emu.session({ email: "walt@example.com" });

    const ok = await get(fx, "/reports", { authorization: `Bearer ${rita.accessToken}` });
    assert.equal(ok.status, 200);
    const no = await get(fx, "/reports", { authorization: `Bearer ${walt.accessToken}` });
    assert.equal(no.status, 403);
    assert.deepEqual(await no.json(), {
      error: { code: "ERR_FORBIDDEN", message: "Missing permission: reports" },
    });
    const anonymous = await get(fx, "/reports");
    assert.equal(anonymous.status, 401);

    // With the gateway's cookies too.
    const jar = await signIn(fx, "walt@example.com");
    assert.equal((await get(fx, "/reports", { cookie: jar.header() })).status, 403);
  } finally {
    await fx.close();
  }
});

test("authlite() refreshes an expired session and re-sets the gateway's cookies", async () => {
  const fx = await start();
  try {
    const jar = await signIn(fx, "cy@example.com");
    const access1 = jar.get("authlite_access");
    const refresh1 = jar.get("authlite_refresh");
    fx.advance(3700);
    fx.emu.resetRequests();
    const res = await get(fx, "/me", { cookie: jar.header() });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).refreshed, true);
    const names = jar.take(res);
    assert.deepEqual(names.sort(), ["authlite_access", "authlite_profile", "authlite_refresh"]);
    for (const line of res.headers.getSetCookie()) {
      assert.match(line, /HttpOnly/);
      assert.match(line, /Secure/);
      assert.match(line, /SameSite=Lax/);
    }
    assert.notEqual(jar.get("authlite_access"), access1);
    assert.notEqual(jar.get("authlite_refresh"), refresh1);
    assert.equal(fx.emu.requests().byPath["/api/user/me/access/token/"], 1, "one refresh");

    // The rotated cookies work here and at the gateway (one implementation).
    fx.emu.resetRequests();
    const again = await get(fx, "/me", { cookie: jar.header() });
    assert.equal((await again.json()).refreshed, false);
    assert.equal(again.headers.getSetCookie().length, 0);
    const me = await fx.gateway.request("http://gw.test/auth/me", {
      headers: { cookie: jar.header() },
    });
    assert.equal(me.status, 200);
    assert.equal(fx.emu.requests().total, 0);
  } finally {
    await fx.close();
  }
});

test("requireSession() without authlite() before it answers 500 ERR_CONFIG, not a crash", async () => {
  const app = new Hono().get("/", requireSession(), (c) => c.text("never"));
  const res = await app.request("/");
  assert.equal(res.status, 500);
  assert.equal((await res.json()).error.code, "ERR_CONFIG");
});
