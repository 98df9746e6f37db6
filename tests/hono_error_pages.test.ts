/**
 * Errors a person can read (issue 18), over real HTTP: a browser navigation
 * to the login, callback or logout route that fails gets a small HTML page
 * (what happened in words, a link to sign in again, no token, the security
 * headers); a fetch client keeps the JSON error body.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { authRoutes } from "../src/hono/mod.ts";
import { Browser, NAVIGATE, SECRET, startAuthApp } from "./_auth_app.ts";
import { startGateway } from "./_gateway_fixture.ts";
import { serve } from "./_serve.ts";

function assertPage(res: Response, html: string, status: number, words: RegExp, login: string) {
  assert.equal(res.status, status);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(html, words);
  assert.ok(html.includes(`<a class="button" href="${login}">Sign in again</a>`), html);
  assert.equal(res.headers.get("x-frame-options"), "DENY");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  assert.doesNotMatch(html, /<script/i);
}

test("reloading the callback with a used code, as a navigation, gets a page with a link to sign in again; a fetch client gets JSON", async () => {
  const fx = await startAuthApp(
    (client, now) =>
      new Hono().route("/account/auth", authRoutes({ client, sessionSecret: SECRET, now })),
    "/account/auth",
  );
  try {
    const browser = new Browser();
    await browser.go(`${fx.app.url}/account/auth/login`, { headers: { "sec-fetch-site": "none" } });
    await browser.go(`${fx.upstream.url}/widget/login/?org_id=org_demo`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: "ada@example.com" }),
    });
    const callback = browser.visited.find((u) => u.includes("/account/auth/callback?code="));
    assert.ok(callback !== undefined);
    const access = browser.cookies(fx.app.url).get("authlite_access") ?? "";
    assert.ok(access !== "", "signed in");

    const reload = await browser.send(callback, { headers: NAVIGATE });
    const html = await reload.text();
    assertPage(reload, html, 400, /already been used, has expired/, "/account/auth/login");
    assert.ok(!html.includes(access), "no token in the page");
    assert.equal(browser.cookies(fx.app.url).get("authlite_access"), access, "the session stays");

    // Sec-Fetch-Mode alone makes it a navigation too; a fetch client keeps JSON.
    const nav = await browser.send(callback, { headers: { "sec-fetch-mode": "navigate" } });
    assert.match(nav.headers.get("content-type") ?? "", /^text\/html/);
    await nav.body?.cancel();
    const api = await browser.send(callback, { headers: { accept: "application/json" } });
    assert.equal(api.status, 400);
    assert.equal((await api.json()).error.code, "ERR_BAD_INPUT");

    // The sign-in service down at the callback: the page says so, with Retry-After.
    const again = new Browser();
    await (await again.send(`${fx.app.url}/account/auth/login`)).body?.cancel();
    fx.emu.inject({ kind: "status", status: 503, path: "/api/user/me/auth/data", count: 1 });
    const down = await again.send(
      `${fx.app.url}/account/auth/callback?code=${fx.emu.mintCode({ email: "ada@example.com" })}`,
      { headers: NAVIGATE },
    );
    assertPage(down, await down.text(), 503, /cannot be reached right now/, "/account/auth/login");
    assert.match(down.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
  } finally {
    await fx.close();
  }
});

test("a navigation refused at login (cross-site form, rate limit) gets the page; the gateway's callback sends the browser back to its page", async () => {
  const fx = await startAuthApp((client, now) =>
    new Hono().route(
      "/auth",
      authRoutes({
        client,
        sessionSecret: SECRET,
        now,
        rateLimit: { limit: 2, windowSeconds: 60, key: () => "one" },
      }),
    )
  );
  // The gateway with a page of its own (npm start): a failed callback goes back to it.
  const gw = await startGateway({ ui: () => {} });
  const gateway = await serve((req) => gw.app.fetch(req));
  try {
    const form = await fetch(`${fx.app.url}/auth/login`, {
      method: "POST",
      headers: {
        ...NAVIGATE,
        "sec-fetch-site": "cross-site",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "redirect=/",
    });
    assertPage(form, await form.text(), 403, /Another site tried to act for you/, "/auth/login");
    await (await fetch(`${fx.app.url}/auth/login`, { redirect: "manual" })).body?.cancel();
    const limited = await fetch(`${fx.app.url}/auth/login`, {
      headers: NAVIGATE,
      redirect: "manual",
    });
    assertPage(limited, await limited.text(), 429, /Too many attempts/, "/auth/login");
    assert.match(limited.headers.get("retry-after") ?? "", /^[1-9]\d*$/);

    // The gateway has a page of its own that shows ?error= in words.
    const reload = await fetch(`${gateway.url}/auth/callback?code=used`, {
      headers: NAVIGATE,
      redirect: "manual",
    });
    assert.equal(reload.status, 302);
    assert.equal(reload.headers.get("location"), "/?error=ERR_BAD_INPUT");
    await reload.body?.cancel();
  } finally {
    await gateway.close();
    await gw.close();
    await fx.close();
  }
});
