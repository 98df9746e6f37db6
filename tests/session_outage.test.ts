/**
 * Sessions through upstream faults (issue 17), over real HTTP with the
 * emulator's fault injection: an outage never clears the session cookies and
 * answers 503 with Retry-After where a session is required; a 401 on the user
 * read of an access token validated a moment before is no logout; a session
 * whose access token is valid keeps its last known roles for
 * `staleRolesMaxSeconds`; a route that does not require a session never fails
 * because the session could not be read.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { authlite, authRoutes, getAuthLite, requireSession } from "../src/hono/mod.ts";
import { Browser, SECRET, startAuthApp } from "./_auth_app.ts";
import { startGateway } from "./_gateway_fixture.ts";
import { serve } from "./_serve.ts";

const READ = "/api/user/me/data";
const REFRESH = "/api/user/me/access/token/";

/** A user's app: a public page that says what it knows, and a page that needs a session. */
function userApp(staleRolesMaxSeconds?: number) {
  return (client: Parameters<typeof authlite>[0]["client"], now: () => number) =>
    new Hono()
      .route("/auth", authRoutes({ client, sessionSecret: SECRET, now }))
      .use(
        authlite({
          client,
          sessionSecret: SECRET,
          now,
          ...(staleRolesMaxSeconds === undefined ? {} : { staleRolesMaxSeconds }),
        }),
      )
      .get("/", (c) => {
        const state = getAuthLite(c);
        return c.json({
          email: state?.session?.email ?? null,
          roles: state?.session?.roles ?? null,
          stale: state?.stale ?? null,
          error: state?.error?.code ?? null,
        });
      })
      .get("/account", requireSession(), (c) => c.json({ email: c.var.session?.email }));
}

async function signIn(base: string, code: string): Promise<Browser> {
  const browser = new Browser();
  await (await browser.send(`${base}/auth/login`)).body?.cancel();
  const cb = await browser.send(`${base}/auth/callback?code=${code}`);
  assert.equal(cb.status, 302, await cb.text());
  return browser;
}

test("an outage while roles are re-read: public routes run with the last known roles, required ones too, within staleRolesMaxSeconds; then public routes run anonymous and required ones answer 503", async () => {
  const fx = await startAuthApp(userApp());
  try {
    const readers = fx.emu.seedRole({ name: "readers", permissions: [{ reports: "read" }] });
    fx.emu.seedUser({ email: "ada@example.com", roles: [readers.rol_id] });
    const browser = await signIn(fx.app.url, fx.emu.mintCode({ email: "ada@example.com" }));
    const cookies = browser.cookieHeader(fx.app.url);

    // The roles are older than the role TTL (30 s) and the upstream's user reads fail.
    fx.advance(31);
    fx.emu.inject({ kind: "status", status: 503, path: READ, count: 1000 });
    const home = await browser.send(`${fx.app.url}/`);
    assert.equal(home.status, 200, "a public route never fails because of the session");
    assert.deepEqual(await home.json(), {
      email: "ada@example.com",
      roles: [readers.rol_id],
      stale: true,
      error: "ERR_UNAVAILABLE",
    });
    const account = await browser.send(`${fx.app.url}/account`);
    assert.equal(account.status, 200, "the last known roles serve within the bound");
    await account.body?.cancel();
    for (const res of [home, account]) assert.deepEqual(res.headers.getSetCookie(), []);

    // Past staleRolesMaxSeconds (300 s) of the roles' age, the access token still valid.
    fx.advance(300);
    const anonymous = await browser.send(`${fx.app.url}/`);
    assert.equal(anonymous.status, 200);
    assert.deepEqual(await anonymous.json(), {
      email: null,
      roles: null,
      stale: false,
      error: "ERR_UNAVAILABLE",
    });
    const refused = await browser.send(`${fx.app.url}/account`);
    assert.equal(refused.status, 503);
    assert.match(refused.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assert.equal((await refused.json()).error.code, "ERR_UNAVAILABLE");
    assert.deepEqual(refused.headers.getSetCookie(), [], "the cookies are left alone");
    assert.equal(browser.cookieHeader(fx.app.url), cookies);
  } finally {
    await fx.close();
  }
});

test("a refresh the upstream cannot answer (503) is a 503 with Retry-After, the cookies untouched, at the gateway and in a user's app", async () => {
  const gw = await startGateway();
  const gateway = await serve((req) => gw.app.fetch(req));
  const fx = await startAuthApp(userApp());
  try {
    for (
      const [base, emu, advance] of [
        [gateway.url, gw.emu, gw.advance] as const,
        [fx.app.url, fx.emu, fx.advance] as const,
      ]
    ) {
      const browser = await signIn(base, emu.mintCode({ email: "bo@example.com" }));
      const cookies = browser.cookieHeader(base);
      advance(3700); // the access token has expired: the session must be refreshed
      emu.inject({ kind: "status", status: 503, path: REFRESH, count: 1 });
      const path = base === gateway.url ? "/auth/me" : "/account";
      const res = await browser.send(`${base}${path}`);
      assert.equal(res.status, 503, `${base}${path}`);
      assert.match(res.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
      assert.equal((await res.json()).error.code, "ERR_UNAVAILABLE");
      assert.deepEqual(res.headers.getSetCookie(), []);
      assert.equal(browser.cookieHeader(base), cookies);
      // The upstream is back: the same cookies are refreshed.
      const again = await browser.send(`${base}${path}`);
      assert.equal(again.status, 200, `${base}${path} after the outage`);
      await again.body?.cancel();
    }
  } finally {
    await gateway.close();
    await gw.close();
    await fx.close();
  }
});

test("a 401 on the user read of an access token validated a moment before is no logout: the session stays (last known roles, or 503)", async () => {
  for (const staleRolesMaxSeconds of [300, 0]) {
    const fx = await startAuthApp(userApp(staleRolesMaxSeconds));
    try {
      const browser = await signIn(fx.app.url, fx.emu.mintCode({ email: "cy@example.com" }));
      const cookies = browser.cookieHeader(fx.app.url);
      fx.advance(31); // the roles are re-read
      // As when the access token expires between its validation and the read.
      fx.emu.inject({ kind: "status", status: 401, path: READ, count: 1 });
      const res = await browser.send(`${fx.app.url}/account`);
      if (staleRolesMaxSeconds === 0) {
        assert.equal(res.status, 503);
        assert.match(res.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
      } else {
        assert.equal(res.status, 200);
      }
      await res.body?.cancel();
      assert.deepEqual(res.headers.getSetCookie(), [], "no cookie cleared");
      assert.equal(browser.cookieHeader(fx.app.url), cookies);
      const next = await browser.send(`${fx.app.url}/account`);
      assert.equal(next.status, 200, "still signed in");
      await next.body?.cancel();
    } finally {
      await fx.close();
    }
  }
});

test("the gateway's /auth/me keeps a signed-in user's last known roles through an outage of user reads", async () => {
  const gw = await startGateway();
  const gateway = await serve((req) => gw.app.fetch(req));
  try {
    const browser = await signIn(gateway.url, gw.emu.mintCode({ email: "dee@example.com" }));
    gw.advance(31);
    gw.emu.inject({ kind: "status", status: 503, path: READ, count: 1000 });
    const me = await browser.send(`${gateway.url}/auth/me`);
    assert.equal(me.status, 200);
    assert.equal((await me.json()).user.email, "dee@example.com");
    assert.deepEqual(me.headers.getSetCookie(), []);
  } finally {
    await gateway.close();
    await gw.close();
  }
});
