/**
 * `sessionFromRequest()` (the `./web` entry) with plain Web `Request`
 * objects, in front of the emulator over real HTTP: the session of the
 * cookies `authRoutes()` set, a refresh with the `Set-Cookie` lines to send, a
 * session the upstream ended (cleared), a Bearer token, none, and an outage
 * (nothing cleared, `ERR_UNAVAILABLE`). Runs under deno test and bun test; Node
 * is covered from the tarball (tests/framework_*).
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { authRoutes } from "../src/hono/mod.ts";
import { sessionFromRequest, type SessionOptions } from "../src/web/mod.ts";
import { SECRET, startAuthApp } from "./_auth_app.ts";

const ORIGIN = "http://app.test";

/** Sign in through authRoutes(...).fetch with plain Requests; the cookies as a header. */
async function signIn(
  routes: { fetch(req: Request): Response | Promise<Response> },
  code: string,
): Promise<string> {
  const login = await routes.fetch(new Request(`${ORIGIN}/login`));
  const nonce = (login.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  const callback = await routes.fetch(
    new Request(`${ORIGIN}/callback?code=${code}`, { headers: { cookie: nonce } }),
  );
  assert.equal(callback.status, 302);
  return callback.headers
    .getSetCookie()
    .filter((l) => !/max-age=0/i.test(l))
    .map((l) => l.split(";")[0])
    .join("; ");
}

test("sessionFromRequest(): the session of a plain Request, with no upstream call once cached", async () => {
  const fx = await startAuthApp(() => ({ fetch: () => new Response(null, { status: 404 }) }));
  try {
    fx.emu.seedUser({ email: "ada@example.com", name: "Ada" });
    const options: SessionOptions = { client: fx.client, sessionSecret: SECRET, now: fx.now };
    const routes = authRoutes({ client: fx.client, sessionSecret: SECRET, now: fx.now });
    const cookie = await signIn(routes, fx.emu.mintCode({ email: "ada@example.com" }));
    fx.emu.resetRequests();

    const first = await sessionFromRequest(
      new Request(`${ORIGIN}/page`, { headers: { cookie } }),
      options,
    );
    assert.equal(first.session?.email, "ada@example.com");
    assert.equal(first.session?.name, "Ada");
    assert.equal(first.source, "cookie");
    assert.equal(first.refreshed, false);
    assert.equal(first.error, null);
    assert.deepEqual(first.setCookie, []);
    fx.emu.resetRequests();
    const again = await sessionFromRequest(
      new Request(`${ORIGIN}/page`, { headers: { cookie } }),
      options,
    );
    assert.equal(again.session?.email, "ada@example.com");
    assert.equal(fx.emu.requests().total, 0, "the token cache and the signed profile answer");

    const none = await sessionFromRequest(new Request(`${ORIGIN}/`), options);
    assert.deepEqual(
      { session: none.session, error: none.error, setCookie: none.setCookie },
      { session: null, error: null, setCookie: [] },
    );
  } finally {
    await fx.close();
  }
});

test("sessionFromRequest(): an expired access token is refreshed and the rotated cookies are handed back", async () => {
  const fx = await startAuthApp(() => ({ fetch: () => new Response(null, { status: 404 }) }));
  try {
    const options: SessionOptions = { client: fx.client, sessionSecret: SECRET, now: fx.now };
    const routes = authRoutes({ client: fx.client, sessionSecret: SECRET, now: fx.now });
    const cookie = await signIn(routes, fx.emu.mintCode({ email: "cy@example.com" }));
    fx.advance(3700);
    fx.emu.resetRequests();
    const found = await sessionFromRequest(
      new Request(`${ORIGIN}/`, { headers: { cookie } }),
      options,
    );
    assert.equal(found.session?.email, "cy@example.com");
    assert.equal(found.refreshed, true);
    const names = found.setCookie.map((l) => l.split("=")[0]).sort();
    assert.deepEqual(names, ["authlite_access", "authlite_profile", "authlite_refresh"]);
    for (const line of found.setCookie) {
      assert.match(line, /; HttpOnly/);
      assert.match(line, /; Secure/);
      assert.match(line, /; SameSite=Lax/);
    }
    assert.equal(fx.emu.requests().byPath["/api/user/me/access/token/"], 1, "one refresh");
    // The rotated cookies make a session as they are.
    const rotated = found.setCookie.map((l) => l.split(";")[0]).join("; ");
    const next = await sessionFromRequest(
      new Request(`${ORIGIN}/`, { headers: { cookie: rotated } }),
      options,
    );
    assert.equal(next.refreshed, false);
    assert.deepEqual(next.setCookie, []);
  } finally {
    await fx.close();
  }
});

test("sessionFromRequest(): a session the upstream ended clears the cookies; a Bearer token is read too", async () => {
  const fx = await startAuthApp(() => ({ fetch: () => new Response(null, { status: 404 }) }));
  try {
    const options: SessionOptions = { client: fx.client, sessionSecret: SECRET, now: fx.now };
    const s = fx.emu.session({ email: "gone@example.com" });
    await fx.client.revokeToken({ accessToken: s.accessToken, refreshToken: s.refreshToken });
    const cookie = `authlite_access=${s.accessToken}; authlite_refresh=${s.refreshToken}`;
    const dead = await sessionFromRequest(
      new Request(`${ORIGIN}/`, { headers: { cookie } }),
      options,
    );
    assert.equal(dead.session, null);
    assert.equal(dead.error?.code, "ERR_INVALID_TOKEN_SET");
    assert.equal(dead.setCookie.length, 3);
    for (const line of dead.setCookie) {
      assert.match(line, /^authlite_(access|refresh|profile)=; Max-Age=0/);
    }

    const live = fx.emu.session({ email: "bob@example.com" });
    const bearer = await sessionFromRequest(
      new Request(`${ORIGIN}/`, { headers: { authorization: `Bearer ${live.accessToken}` } }),
      options,
    );
    assert.equal(bearer.source, "bearer");
    assert.equal(bearer.session?.uid, live.uid);
    assert.deepEqual(bearer.setCookie, []);
  } finally {
    await fx.close();
  }
});

test("sessionFromRequest(): an upstream outage clears nothing and says ERR_UNAVAILABLE", async () => {
  const fx = await startAuthApp(() => ({ fetch: () => new Response(null, { status: 404 }) }));
  try {
    const options: SessionOptions = { client: fx.client, sessionSecret: SECRET, now: fx.now };
    const routes = authRoutes({ client: fx.client, sessionSecret: SECRET, now: fx.now });
    const cookie = await signIn(routes, fx.emu.mintCode({ email: "dee@example.com" }));
    fx.advance(3700); // the access token has expired: a refresh is needed
    fx.emu.inject({ kind: "status", status: 503, count: 10 });
    const found = await sessionFromRequest(
      new Request(`${ORIGIN}/`, { headers: { cookie } }),
      options,
    );
    assert.equal(found.session, null);
    assert.equal(found.error?.code, "ERR_UNAVAILABLE");
    assert.deepEqual(found.setCookie, [], "the cookies are left alone");
  } finally {
    await fx.close();
  }
});
