/**
 * Logout CSRF (issue 17), over real HTTP: any page can send a body-less
 * `POST /auth/logout` without a Content-Type (a simple request, no preflight),
 * so a logout needs a same-origin signal, as a login does: `Sec-Fetch-Site:
 * same-origin`, else an `Origin` of this site, else (no browser signal) a JSON
 * request. For the gateway and for `authRoutes()` in a user's app.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { authRoutes } from "../src/hono/mod.ts";
import { Browser, SECRET, startAuthApp } from "./_auth_app.ts";
import { startGateway } from "./_gateway_fixture.ts";
import { serve, type TestServer } from "./_serve.ts";

/** Sign in at `base` (a gateway or an app with authRoutes at /auth); the browser holds the cookies. */
async function signIn(base: string, code: string): Promise<Browser> {
  const browser = new Browser();
  await (await browser.send(`${base}/auth/login`)).body?.cancel();
  const cb = await browser.send(`${base}/auth/callback?code=${code}`);
  assert.equal(cb.status, 302);
  await cb.body?.cancel();
  assert.ok(browser.cookies(base).has("authlite_access"));
  return browser;
}

/** The CSRF attempts that must not end the session, then the same-origin logout that must. */
async function checkLogout(base: string, browser: Browser): Promise<void> {
  const attempts: Array<[string, Record<string, string>]> = [
    ["cross-site, body-less, no Content-Type", { "sec-fetch-site": "cross-site" }],
    ["same-site, body-less, no Content-Type", { "sec-fetch-site": "same-site" }],
    ["a form of another site", {
      "sec-fetch-site": "cross-site",
      "content-type": "text/plain",
      "sec-fetch-mode": "navigate",
    }],
    ["another Origin, no Fetch Metadata", { origin: "http://evil.example" }],
    ["no signal at all, body-less", {}],
    ["JSON from another site", {
      "sec-fetch-site": "cross-site",
      "content-type": "application/json",
    }],
  ];
  for (const [what, headers] of attempts) {
    const res = await browser.send(`${base}/auth/logout`, { method: "POST", headers });
    assert.ok(res.status === 403 || res.status === 415, `${what}: ${res.status}`);
    await res.body?.cancel();
    assert.deepEqual(res.headers.getSetCookie(), [], `${what}: no cookie cleared`);
    const me = await browser.send(`${base}/auth/me`);
    assert.equal(me.status, 200, `${what}: still signed in`);
    await me.body?.cancel();
  }
  // A navigation that was refused is told so in words.
  const page = await browser.send(`${base}/auth/logout`, {
    method: "POST",
    headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", accept: "text/html" },
  });
  assert.equal(page.status, 403);
  assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  assert.match(await page.text(), /You are still signed in/);

  const out = await browser.send(`${base}/auth/logout`, {
    method: "POST",
    headers: { "sec-fetch-site": "same-origin" },
  });
  assert.equal(out.status, 200);
  assert.deepEqual(await out.json(), { ok: true, revoked: true });
  const gone = await browser.send(`${base}/auth/me`);
  assert.equal(gone.status, 401);
  await gone.body?.cancel();
}

test("gateway: a cross-site or same-site body-less POST /auth/logout does not end the session", async () => {
  const fx = await startGateway();
  const server: TestServer = await serve((req) => fx.app.fetch(req));
  try {
    const browser = await signIn(server.url, fx.emu.mintCode({ email: "csrf@example.com" }));
    await checkLogout(server.url, browser);
  } finally {
    await server.close();
    await fx.close();
  }
});

test("authRoutes(): the same logout CSRF checks in a user's app; Origin of the site is enough", async () => {
  const fx = await startAuthApp((client, now) =>
    new Hono().route("/auth", authRoutes({ client, sessionSecret: SECRET, now }))
  );
  try {
    const browser = await signIn(fx.app.url, fx.emu.mintCode({ email: "app@example.com" }));
    await checkLogout(fx.app.url, browser);
    const again = await signIn(fx.app.url, fx.emu.mintCode({ email: "app@example.com" }));
    const out = await again.send(`${fx.app.url}/auth/logout`, {
      method: "POST",
      headers: { origin: fx.app.url },
    });
    assert.equal(out.status, 200);
    await out.body?.cancel();
  } finally {
    await fx.close();
  }
});
