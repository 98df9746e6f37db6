/**
 * `authRoutes()` in a user's own Hono app, mounted under a prefix and served
 * over real HTTP in front of the emulator: the whole sign-in (login → widget →
 * callback → /me → a requirePermission route 200 and 403 → logout → 401),
 * the security of the gateway's routes (Fetch Metadata, the single-use
 * nonce, return paths, cookie flags, rate limit), and nothing else of the
 * gateway (no /admin, /rpc, /docs). And `authRoutes(...).fetch` alone.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import {
  authlite,
  authRoutes,
  getSession,
  requirePermission,
  requireSession,
} from "../src/hono/mod.ts";
import { Browser, SECRET, startAuthApp } from "./_auth_app.ts";
import { serve } from "./_serve.ts";

function userApp(
  client: Parameters<typeof authRoutes>[0]["client"],
  now: () => number,
  rateLimit?: { limit: number; windowSeconds: number; key: () => string },
) {
  return new Hono()
    .route(
      "/auth",
      authRoutes({
        client,
        sessionSecret: SECRET,
        now,
        ...(rateLimit === undefined ? {} : { rateLimit }),
      }),
    )
    .use(authlite({ client, sessionSecret: SECRET, now }))
    .get("/", (c) => c.text(`Hello ${getSession(c)?.email ?? "stranger"}`))
    .get("/reports", requirePermission("reports", "read"), (c) => c.json({ reports: [] }))
    .get("/billing", requirePermission("billing", "write"), (c) => c.json({ billing: [] }))
    .get("/account", requireSession(), (c) => c.json(c.var.session));
}

test("authRoutes() under /auth: sign in through the widget, /me, 200 and 403 by permission, logout, then 401", async () => {
  const fx = await startAuthApp((client, now) => userApp(client, now));
  try {
    const readers = fx.emu.seedRole({ name: "readers", permissions: [{ reports: "read" }] });
    fx.emu.seedUser({ email: "ada@example.com", name: "Ada", roles: [readers.rol_id] });
    const browser = new Browser();

    // Login: a person's own navigation goes straight to the widget.
    const widget = await browser.go(`${fx.app.url}/auth/login?redirect=/reports`, {
      headers: { "sec-fetch-site": "none" },
    });
    assert.equal(widget.status, 200);
    assert.match(await widget.text(), /<form method="post"/);
    const login = browser.cookies(fx.app.url).get("authlite_login");
    assert.match(login ?? "", /^[A-Za-z0-9_-]{24}\./, "a login nonce");

    // The widget sends the browser to <prefix>/callback, which sets the session
    // and returns to the page asked for.
    const page = await browser.go(`${fx.upstream.url}/widget/login/?org_id=org_demo`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: "ada@example.com" }),
    });
    assert.ok(browser.visited.some((u) => u.startsWith(`${fx.app.url}/auth/callback?code=`)));
    assert.equal(browser.visited.at(-1), `${fx.app.url}/reports`);
    assert.equal(page.status, 200, "requirePermission: granted by the role");
    assert.deepEqual(await page.json(), { reports: [] });
    const jar = browser.cookies(fx.app.url);
    assert.ok(
      jar.has("authlite_access") && jar.has("authlite_refresh") && jar.has("authlite_profile"),
    );
    assert.equal(jar.has("authlite_login"), false, "the nonce is spent");

    const me = await browser.send(`${fx.app.url}/auth/me`);
    assert.equal(me.status, 200);
    assert.equal(me.headers.get("cache-control"), "no-store");
    const text = await me.text();
    assert.ok(!text.includes(jar.get("authlite_access") ?? "?"), "no token in the body");
    const body = JSON.parse(text);
    assert.equal(body.user.email, "ada@example.com");
    assert.equal(body.user.name, "Ada");
    assert.deepEqual(body.user.roles, [readers.rol_id]);
    assert.deepEqual(body.session, { refreshed: false });

    const billing = await browser.send(`${fx.app.url}/billing`);
    assert.equal(billing.status, 403);
    assert.equal((await billing.json()).error.code, "ERR_FORBIDDEN");
    assert.equal(await (await browser.send(`${fx.app.url}/`)).text(), "Hello ada@example.com");

    const out = await browser.send(`${fx.app.url}/auth/logout`, {
      method: "POST",
      headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(out.status, 200);
    assert.deepEqual(await out.json(), { ok: true, revoked: true });
    assert.equal(jar.size, 0, "every session cookie cleared");
    const after = await browser.send(`${fx.app.url}/auth/me`);
    assert.equal(after.status, 401);
    assert.equal((await after.json()).error.code, "ERR_UNAUTHORIZED");
    assert.equal((await browser.send(`${fx.app.url}/account`)).status, 401);
  } finally {
    await fx.close();
  }
});

test("authRoutes() brings none of the gateway: /admin, /rpc, /docs and /openapi.json are 404", async () => {
  const fx = await startAuthApp((client, now) => userApp(client, now));
  try {
    for (
      const [method, path] of <Array<[string, string]>> [
        ["GET", "/admin/roles"],
        ["POST", "/rpc/getUser"],
        ["GET", "/docs"],
        ["GET", "/openapi.json"],
        ["GET", "/auth/profile"],
        ["GET", "/health"],
      ]
    ) {
      const res = await fetch(`${fx.app.url}${path}`, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      await res.body?.cancel();
    }
  } finally {
    await fx.close();
  }
});

test("authRoutes() keeps the gateway's login security under a prefix: cookie flags, return paths, nonce, Fetch Metadata", async () => {
  const fx = await startAuthApp((client, now) => userApp(client, now));
  try {
    // Cookie flags of the login cookie, and a return path that leaves the site.
    const res = await fetch(
      `${fx.app.url}/auth/login?redirect=${encodeURIComponent("//evil.example/x")}`,
      {
        redirect: "manual",
      },
    );
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), `${fx.upstream.url}/widget/login/?org_id=org_demo`);
    const line = res.headers.getSetCookie().find((l) => l.startsWith("authlite_login=")) ?? "";
    for (const flag of [/; HttpOnly/, /; Secure/, /; SameSite=Lax/, /; Path=\//]) {
      assert.match(line, flag);
    }
    const path = decodeURIComponent(line.split(";")[0] ?? "").split("=")[1]?.split(".")[2] ?? "";
    assert.equal(atob(path.replace(/-/g, "+").replace(/_/g, "/")), "/");

    // Started by another site: a page whose form posts to this prefix's login route.
    const cross = await fetch(`${fx.app.url}/auth/login`, {
      headers: { "sec-fetch-site": "cross-site" },
      redirect: "manual",
    });
    assert.equal(cross.status, 200);
    assert.match(await cross.text(), /<form method="post" action="\/auth\/login">/);
    assert.equal(cross.headers.get("x-frame-options"), "DENY");
    assert.equal(cross.headers.getSetCookie().length, 0, "no login started");
    const posted = await fetch(`${fx.app.url}/auth/login`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "cross-site",
      },
      body: "redirect=/",
      redirect: "manual",
    });
    assert.equal(posted.status, 403);
    await posted.body?.cancel();

    // A code without a login started in this browser sets no session.
    const code = fx.emu.mintCode({ email: "eve@example.com" });
    const stray = await fetch(`${fx.app.url}/auth/callback?code=${code}`, { redirect: "manual" });
    assert.equal(stray.status, 400);
    const err = await stray.json();
    assert.equal(err.error.code, "ERR_BAD_INPUT");
    assert.match(err.error.message, /start at \/auth\/login/);
    assert.equal(stray.headers.getSetCookie().some((l) => /^authlite_access=[^;]/.test(l)), false);

    // The nonce is single use: the same login cookie does not serve two callbacks.
    const browser = new Browser();
    await (await browser.send(`${fx.app.url}/auth/login`)).body?.cancel();
    const nonce = browser.cookieHeader(fx.app.url);
    const first = await fetch(
      `${fx.app.url}/auth/callback?code=${fx.emu.mintCode({ email: "a@example.com" })}`,
      {
        headers: { cookie: nonce },
        redirect: "manual",
      },
    );
    assert.equal(first.status, 302);
    await first.body?.cancel();
    const replay = await fetch(
      `${fx.app.url}/auth/callback?code=${fx.emu.mintCode({ email: "b@example.com" })}`,
      {
        headers: { cookie: nonce },
        redirect: "manual",
      },
    );
    assert.equal(replay.status, 400);
    await replay.body?.cancel();
  } finally {
    await fx.close();
  }
});

test("authRoutes() rate-limits its routes (built in, per client) with 429 and Retry-After", async () => {
  const fx = await startAuthApp((client, now) =>
    userApp(client, now, { limit: 3, windowSeconds: 60, key: () => "one-client" })
  );
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${fx.app.url}/auth/me`);
      statuses.push(res.status);
      if (res.status === 429) {
        assert.match(res.headers.get("retry-after") ?? "", /^\d+$/);
        assert.equal((await res.json()).error.code, "ERR_RATE_LIMITED");
      } else await res.body?.cancel();
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  } finally {
    await fx.close();
  }
});

test("authRoutes(...).fetch serves the routes alone, as a plain fetch handler", async () => {
  const fx = await startAuthApp((client, now) => userApp(client, now));
  const alone = await serve(authRoutes({ client: fx.client, sessionSecret: SECRET }).fetch);
  try {
    const login = await fetch(`${alone.url}/login`, { redirect: "manual" });
    assert.equal(login.status, 302);
    assert.equal(login.headers.get("location"), `${fx.upstream.url}/widget/login/?org_id=org_demo`);
    assert.ok(login.headers.getSetCookie().some((l) => l.startsWith("authlite_login=")));
    const me = await fetch(`${alone.url}/me`);
    assert.equal(me.status, 401);
    assert.deepEqual(await me.json(), {
      error: { code: "ERR_UNAUTHORIZED", message: "Not signed in: log in first" },
    });
    const none = await fetch(`${alone.url}/auth/me`);
    assert.equal(none.status, 404);
    await none.body?.cancel();
  } finally {
    await alone.close();
    await fx.close();
  }
});
