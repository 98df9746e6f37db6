import { test } from "node:test";
import assert from "node:assert/strict";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { CookieJar, startGateway } from "./_gateway_fixture.ts";

const ORIGIN = "http://gw.test";

async function req(
  fx: { app: { request: (p: string, init?: RequestInit) => Response | Promise<Response> } },
  jar: CookieJar,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie) headers.set("cookie", cookie);
  const res = await fx.app.request(`${ORIGIN}${path}`, { ...init, headers });
  jar.take(res);
  return res;
}

/** The return path held by a login cookie (`nonce.issued.path.mac`, the path base64url). */
function loginPath(value: string | undefined): string | undefined {
  const path = decodeURIComponent(value ?? "").split(".")[2];
  if (path === undefined) return undefined;
  return atob(path.replace(/-/g, "+").replace(/_/g, "/"));
}

function setCookieLine(res: Response, name: string): string | undefined {
  return res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
}

test("GET /auth/login redirects to the widget and marks the login", async () => {
  const fx = await startGateway();
  try {
    const jar = new CookieJar();
    const res = await req(fx, jar, "/auth/login?redirect=/account");
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), `${fx.server.url}/widget/login/?org_id=org_demo`);
    assert.equal(loginPath(jar.get("authlite_login")), "/account");
    assert.match(jar.get("authlite_login") ?? "", /^[A-Za-z0-9_-]{24}\.[a-z0-9]+\./, "a nonce");
    const line = setCookieLine(res, "authlite_login") ?? "";
    assert.match(line, /HttpOnly/);
    assert.match(line, /Secure/);
    assert.match(line, /SameSite=Lax/);
  } finally {
    await fx.close();
  }
});

test("GET /auth/login ignores a redirect that leaves the site", async () => {
  const fx = await startGateway();
  try {
    for (const evil of ["https://evil.example/", "//evil.example/x", "/\\evil.example"]) {
      const jar = new CookieJar();
      await req(fx, jar, `/auth/login?redirect=${encodeURIComponent(evil)}`);
      assert.equal(loginPath(jar.get("authlite_login")), "/");
    }
  } finally {
    await fx.close();
  }
});

test("session flow: callback, me, refresh through rotation, logout, me afterwards 401", async () => {
  const fx = await startGateway();
  try {
    fx.emu.seedUser({ email: "ada@example.com", name: "Ada", img: "https://img/ada.png" });
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login?redirect=/welcome");

    const code = fx.emu.mintCode({ email: "ada@example.com" });
    const cb = await req(fx, jar, `/auth/callback?code=${encodeURIComponent(code)}`);
    assert.equal(cb.status, 302);
    assert.equal(cb.headers.get("location"), "/welcome");
    for (const name of ["authlite_access", "authlite_refresh", "authlite_profile"]) {
      const line = setCookieLine(cb, name);
      assert.ok(line, `${name} is set`);
      assert.match(line, /HttpOnly/);
      assert.match(line, /Secure/);
      assert.match(line, /SameSite=Lax/);
      assert.match(line, /Path=\//);
    }
    assert.equal(jar.get("authlite_login"), undefined, "the login mark is cleared");
    const access1 = jar.get("authlite_access");
    const refresh1 = jar.get("authlite_refresh");
    assert.ok(access1 && refresh1);
    assert.ok(!(cb.headers.get("location") ?? "").includes(access1));

    const me = await req(fx, jar, "/auth/me");
    assert.equal(me.status, 200);
    assert.equal(me.headers.get("cache-control"), "no-store");
    const text = await me.text();
    assert.ok(!text.includes(access1) && !text.includes(refresh1), "no token in the body");
    const body = JSON.parse(text);
    assert.equal(body.user.email, "ada@example.com");
    assert.equal(body.user.name, "Ada");
    assert.equal(body.user.img, "https://img/ada.png");
    assert.deepEqual(body.user.roles, []);
    assert.equal(typeof body.user.uid, "string");
    assert.deepEqual(body.session, { refreshed: false });

    // A good session is answered from the token cache: no upstream call.
    fx.emu.resetRequests();
    const again = await req(fx, jar, "/auth/me");
    assert.equal(again.status, 200);
    assert.equal(fx.emu.requests().total, 0);
    assert.equal(again.headers.getSetCookie().length, 0, "no cookie re-set");

    // Past the access token's expiry: refreshed transparently, cookies rotated.
    fx.advance(3700);
    const rotated = await req(fx, jar, "/auth/me");
    assert.equal(rotated.status, 200);
    const rotatedBody = await rotated.json();
    assert.deepEqual(rotatedBody.session, { refreshed: true });
    assert.equal(rotatedBody.user.email, "ada@example.com");
    const access2 = jar.get("authlite_access");
    const refresh2 = jar.get("authlite_refresh");
    assert.ok(access2 && refresh2);
    assert.notEqual(access2, access1);
    assert.notEqual(refresh2, refresh1);

    const after = await req(fx, jar, "/auth/me");
    assert.deepEqual((await after.json()).session, { refreshed: false });

    const stale = new CookieJar();
    stale.take(
      new Response(null, {
        headers: [
          ["set-cookie", `authlite_access=${access2}`],
          ["set-cookie", `authlite_refresh=${refresh2}`],
        ],
      }),
    );

    const out = await req(fx, jar, "/auth/logout", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({}),
    });
    assert.equal(out.status, 200);
    assert.deepEqual(await out.json(), { ok: true, revoked: true });
    assert.equal(jar.get("authlite_access"), undefined);
    assert.equal(jar.get("authlite_refresh"), undefined);
    assert.equal(jar.get("authlite_profile"), undefined);

    const gone = await req(fx, jar, "/auth/me");
    assert.equal(gone.status, 401);
    assert.equal((await gone.json()).error.code, "ERR_UNAUTHORIZED");

    // The revoked tokens themselves no longer make a session.
    const revoked = await req(fx, stale, "/auth/me");
    assert.equal(revoked.status, 401);
    const err = await revoked.json();
    assert.ok(["ERR_INVALID_TOKEN_SET", "ERR_HTTP"].includes(err.error.code), err.error.code);
    assert.equal(stale.get("authlite_access"), undefined, "a dead session's cookies are cleared");
  } finally {
    await fx.close();
  }
});

test("POST /auth/logout with all: true revokes every session of the user", async () => {
  const fx = await startGateway();
  try {
    const other = fx.emu.session({ email: "bob@example.com" });
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login");
    await req(fx, jar, `/auth/callback?code=${fx.emu.mintCode({ email: "bob@example.com" })}`);
    const out = await req(fx, jar, "/auth/logout", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ all: true }),
    });
    assert.deepEqual(await out.json(), { ok: true, revoked: true });
    assert.equal(await fx.client.validateAccessToken(other.accessToken), false);
  } finally {
    await fx.close();
  }
});

test("GET /auth/callback without a login started here answers 400", async () => {
  const fx = await startGateway();
  try {
    const jar = new CookieJar();
    const code = fx.emu.mintCode({ email: "eve@example.com" });
    const res = await req(fx, jar, `/auth/callback?code=${code}`);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, "ERR_BAD_INPUT");
    assert.equal(jar.get("authlite_access"), undefined);
  } finally {
    await fx.close();
  }
});

test("GET /auth/callback with a bad code answers an error and sets no session", async () => {
  const fx = await startGateway();
  try {
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login");
    const res = await req(fx, jar, "/auth/callback?code=not-a-code");
    assert.ok(res.status === 401 || res.status === 502, String(res.status));
    const body = await res.json();
    assert.equal(typeof body.error.code, "string");
    assert.equal(jar.get("authlite_access"), undefined);
  } finally {
    await fx.close();
  }
});

test("GET /auth/callback without code answers 400 with the issues", async () => {
  const fx = await startGateway();
  try {
    const res = await fx.app.request(`${ORIGIN}/auth/callback`);
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "ERR_BAD_INPUT");
    assert.deepEqual(body.error.issues[0].path, ["query", "code"]);
  } finally {
    await fx.close();
  }
});

test("GET /auth/me with a forged profile cookie rebuilds the profile from upstream", async () => {
  const fx = await startGateway();
  try {
    fx.emu.seedUser({ email: "mallory@example.com", name: "Mallory" });
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login");
    await req(fx, jar, `/auth/callback?code=${fx.emu.mintCode({ email: "mallory@example.com" })}`);
    const forged = btoa(
      JSON.stringify({ uid: "x", email: "x", name: null, img: null, roles: ["admin"] }),
    )
      .replace(/=+$/, "");
    const cookies = `authlite_access=${jar.get("authlite_access")}; authlite_refresh=${
      jar.get("authlite_refresh")
    }; authlite_profile=${forged}.AAAA`;
    const res = await fx.app.request(`${ORIGIN}/auth/me`, { headers: { cookie: cookies } });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.user.email, "mallory@example.com");
    assert.deepEqual(body.user.roles, []);
  } finally {
    await fx.close();
  }
});

test("GET /auth/me does not take another session's signed profile cookie", async () => {
  const fx = await startGateway();
  try {
    const admins = fx.emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
    fx.emu.seedUser({ email: "root@example.com", roles: [admins.rol_id] });
    fx.emu.seedUser({ email: "eve@example.com" });
    const root = new CookieJar();
    await req(fx, root, "/auth/login");
    await req(fx, root, `/auth/callback?code=${fx.emu.mintCode({ email: "root@example.com" })}`);
    const eve = new CookieJar();
    await req(fx, eve, "/auth/login");
    await req(fx, eve, `/auth/callback?code=${fx.emu.mintCode({ email: "eve@example.com" })}`);
    // Eve's tokens with the admin's profile cookie: signed by the gateway, but bound to
    // the admin's access token, so it is not taken.
    const cookies = `authlite_access=${eve.get("authlite_access")}; authlite_refresh=${
      eve.get("authlite_refresh")
    }; authlite_profile=${root.get("authlite_profile")}`;
    const res = await fx.app.request(`${ORIGIN}/auth/me`, { headers: { cookie: cookies } });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.user.email, "eve@example.com");
    assert.deepEqual(body.user.roles, []);
  } finally {
    await fx.close();
  }
});

test("GET /auth/profile redirects to the settings; the callback with ac=true re-issues the session", async () => {
  const fx = await startGateway({ profileEditing: true });
  try {
    fx.emu.seedUser({ email: "carol@example.com", name: "Carol" });
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login");
    await req(fx, jar, `/auth/callback?code=${fx.emu.mintCode({ email: "carol@example.com" })}`);
    const access1 = jar.get("authlite_access");

    const res = await req(fx, jar, "/auth/profile");
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get("location") ?? "");
    assert.equal(location.origin + location.pathname, `${fx.server.url}/api/user/me/settings/`);
    assert.equal(location.searchParams.get("url"), `${ORIGIN}/auth/profile/callback`);

    const unchanged = await req(fx, jar, "/auth/profile/callback?ac=false");
    assert.equal(unchanged.status, 302);
    assert.equal(unchanged.headers.get("location"), "/?profile=unchanged");
    assert.equal(unchanged.headers.getSetCookie().length, 0);

    fx.emu.seedUser({ email: "carol@example.com", name: "Carol B." });
    const code = fx.emu.mintCode({ email: "carol@example.com" });
    const changed = await req(fx, jar, `/auth/profile/callback?code=${code}&ac=true`);
    assert.equal(changed.status, 302);
    assert.equal(changed.headers.get("location"), "/?profile=updated");
    assert.notEqual(jar.get("authlite_access"), access1);
    const me = await req(fx, jar, "/auth/me");
    const body = await me.json();
    assert.equal(body.user.name, "Carol B.");
  } finally {
    await fx.close();
  }
});

test("GET /auth/me without cookies answers 401 with a JSON error", async () => {
  const fx = await startGateway();
  try {
    const res = await fx.app.request(`${ORIGIN}/auth/me`);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), {
      error: { code: "ERR_UNAUTHORIZED", message: "Not signed in: log in first" },
    });
  } finally {
    await fx.close();
  }
});

test("createGateway() with cookie.secure false sets cookies without Secure", async () => {
  const fx = await startGateway({ cookie: { secure: false } });
  try {
    const res = await fx.app.request(`${ORIGIN}/auth/login`);
    const line = setCookieLine(res, "authlite_login") ?? "";
    assert.match(line, /HttpOnly/);
    assert.doesNotMatch(line, /Secure/);
  } finally {
    await fx.close();
  }
});

test("GET /auth/callback with a bad code sends a browser back to the page with ?error=, and an API caller gets JSON", async () => {
  // A gateway with a page of its own (ui): the page shows the error.
  const fx = await startGateway({ ui: () => {} });
  try {
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login");
    const browser = await fx.app.request(`${ORIGIN}/auth/callback?code=not-a-code`, {
      headers: { cookie: jar.header(), accept: "text/html,application/xhtml+xml" },
    });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get("location"), "/?error=ERR_HTTP");
    assert.ok(!browser.headers.getSetCookie().some((c) => /authlite_access=[^;]/.test(c)));

    await req(fx, jar, "/auth/login");
    const api = await fx.app.request(`${ORIGIN}/auth/callback?code=not-a-code`, {
      headers: { cookie: jar.header(), accept: "application/json" },
    });
    assert.equal(api.status, 401);
    assert.equal((await api.json()).error.code, "ERR_HTTP");
  } finally {
    await fx.close();
  }
});

test("GET /auth/callback with a bad code shows a browser of a gateway without a page an HTML page with a way to sign in again (issue 18)", async () => {
  const fx = await startGateway();
  try {
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login");
    const browser = await fx.app.request(`${ORIGIN}/auth/callback?code=not-a-code`, {
      headers: {
        cookie: jar.header(),
        accept: "text/html,application/xhtml+xml",
        "sec-fetch-mode": "navigate",
      },
    });
    assert.match(browser.headers.get("content-type") ?? "", /^text\/html/);
    const page = await browser.text();
    assert.match(page, /href="\/auth\/login/);
    assert.doesNotMatch(page, /not-a-code/);
    assert.ok(!browser.headers.getSetCookie().some((c) => /authlite_access=[^;]/.test(c)));
  } finally {
    await fx.close();
  }
});

test("GET /auth/profile without a session sends a browser back with ?error=ERR_UNAUTHORIZED", async () => {
  const fx = await startGateway({ profileEditing: true });
  try {
    const res = await fx.app.request(`${ORIGIN}/auth/profile`, {
      headers: { accept: "text/html" },
    });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "/?error=ERR_UNAUTHORIZED");
  } finally {
    await fx.close();
  }
});

test("GET /auth/me with the cookies of before a refresh is refused once the session logged out", async () => {
  const fx = await startGateway();
  try {
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login");
    await req(fx, jar, `/auth/callback?code=${fx.emu.mintCode({ email: "replay@example.com" })}`);
    const oldCookies = jar.header();
    fx.advance(3601);
    const me = await req(fx, jar, "/auth/me"); // refreshed: the cookies rotate
    assert.equal(me.status, 200);
    assert.notEqual(jar.header(), oldCookies);
    const out = await fx.app.request(`${ORIGIN}/auth/logout`, {
      method: "POST",
      headers: { cookie: jar.header(), "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(out.status, 200);
    await out.body?.cancel();
    // Someone replays the cookies of before the refresh, within the grace window.
    const replay = await fx.app.request(`${ORIGIN}/auth/me`, { headers: { cookie: oldCookies } });
    assert.equal(replay.status, 401);
    await replay.body?.cancel();
  } finally {
    await fx.close();
  }
});

test("GET /auth/profile is off by default: the settings URL would show the API key and signed key", async () => {
  const fx = await startGateway();
  try {
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login");
    await req(fx, jar, `/auth/callback?code=${fx.emu.mintCode({ email: "dan@example.com" })}`);
    const res = await req(fx, jar, "/auth/profile");
    assert.equal(res.status, 403);
    const text = await res.text();
    assert.equal(JSON.parse(text).error.code, "ERR_FORBIDDEN");
    assert.equal(res.headers.get("location"), null);
    assert.ok(!text.includes(DEMO_ORG.apiKey));
  } finally {
    await fx.close();
  }
});

test("GET /auth/profile/callback with a code of another account keeps the session and answers 403", async () => {
  const fx = await startGateway({ profileEditing: true });
  try {
    const jar = new CookieJar();
    await req(fx, jar, "/auth/login");
    await req(fx, jar, `/auth/callback?code=${fx.emu.mintCode({ email: "victim@example.com" })}`);
    const before = jar.get("authlite_access");
    const attackerCode = fx.emu.mintCode({ email: "attacker@example.com" });
    const res = await req(fx, jar, `/auth/profile/callback?code=${attackerCode}&ac=true`);
    assert.equal(res.status, 403);
    assert.equal(jar.get("authlite_access"), before);
    const me = await req(fx, jar, "/auth/me");
    assert.equal((await me.json()).user.email, "victim@example.com");
  } finally {
    await fx.close();
  }
});
