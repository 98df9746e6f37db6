// Finding 2, login CSRF: another site may send a browser to /auth/login, but
// only a person (a same-origin form) may go on; the login cookie carries a
// nonce that the callback consumes once. Before the fix, a cross-site GET set
// the login cookie and the attacker's code signed the victim in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { LoginFlow } from "../src/gateway/_login.ts";
import { CookieJar, startGateway } from "./_gateway_fixture.ts";

const ORIGIN = "http://gw.test";

async function send(
  app: { request: (p: string, init?: RequestInit) => Response | Promise<Response> },
  jar: CookieJar,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (jar.header()) headers.set("cookie", jar.header());
  const res = await app.request(`${ORIGIN}${path}`, { ...init, headers });
  jar.take(res);
  return res;
}

test("GET /auth/login from another site answers a confirmation page and sets no login cookie", async () => {
  const fx = await startGateway();
  try {
    for (const site of ["cross-site", "same-site"]) {
      const jar = new CookieJar();
      const res = await send(fx.app, jar, "/auth/login?redirect=/a%22%3E%3Cb", {
        headers: { "sec-fetch-site": site },
      });
      assert.equal(res.status, 200, site);
      assert.deepEqual(res.headers.getSetCookie(), [], site);
      const html = await res.text();
      assert.match(html, /<form method="post" action="\/auth\/login">/);
      assert.match(html, /name="redirect" value="\/a%22%3E%3Cb"/);
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /form-action 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /script-src/);
      // The attacker's own code now finds no login in progress.
      const code = fx.emu.mintCode({ email: "mallory@example.com" });
      const cb = await send(fx.app, jar, `/auth/callback?code=${code}`, {
        headers: { "sec-fetch-site": "cross-site" },
      });
      assert.equal(cb.status, 400);
      assert.equal(jar.get("authlite_access"), undefined, "no session");
    }
  } finally {
    await fx.close();
  }
});

test("GET /auth/login without Fetch Metadata but with a Referer of another site answers the page", async () => {
  const fx = await startGateway();
  try {
    const res = await fx.app.request(`${ORIGIN}/auth/login`, {
      headers: { referer: "https://evil.example/page" },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers.getSetCookie(), []);
    const own = await fx.app.request(`${ORIGIN}/auth/login`, {
      headers: { referer: `${ORIGIN}/` },
    });
    assert.equal(own.status, 302);
  } finally {
    await fx.close();
  }
});

test("a login started by a typed URL or the gateway's page goes through, and the callback (cross-site) signs in", async () => {
  const fx = await startGateway();
  try {
    for (const site of ["none", "same-origin"]) {
      const jar = new CookieJar();
      const login = await send(fx.app, jar, "/auth/login?redirect=/after", {
        headers: { "sec-fetch-site": site },
      });
      assert.equal(login.status, 302, site);
      const code = fx.emu.mintCode({ email: "ada@example.com" });
      const cb = await send(fx.app, jar, `/auth/callback?code=${code}`, {
        headers: { "sec-fetch-site": "cross-site" },
      });
      assert.equal(cb.status, 302, site);
      assert.equal(cb.headers.get("location"), "/after");
      assert.ok(jar.get("authlite_access"), "signed in");
    }
  } finally {
    await fx.close();
  }
});

test("POST /auth/login (the page's form) starts a login from this origin only", async () => {
  const fx = await startGateway();
  try {
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const jar = new CookieJar();
    const ok = await send(fx.app, jar, "/auth/login", {
      method: "POST",
      headers: { ...form, "sec-fetch-site": "same-origin", origin: ORIGIN },
      body: "redirect=%2Fback",
    });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), `${fx.server.url}/widget/login/?org_id=org_demo`);
    const code = fx.emu.mintCode({ email: "grace@example.com" });
    const cb = await send(fx.app, jar, `/auth/callback?code=${code}`);
    assert.equal(cb.headers.get("location"), "/back");

    // Without Fetch Metadata, the Origin header decides.
    const legacy = await fx.app.request(`${ORIGIN}/auth/login`, {
      method: "POST",
      headers: { ...form, origin: ORIGIN },
      body: "redirect=%2F",
    });
    assert.equal(legacy.status, 303);

    for (
      const headers of [
        { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
        { "sec-fetch-site": "same-site", origin: "https://sub.gw.test" },
        { origin: "https://evil.example" },
        {},
      ]
    ) {
      const res = await fx.app.request(`${ORIGIN}/auth/login`, {
        method: "POST",
        headers: { ...form, ...headers },
        body: "redirect=%2F",
      });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.deepEqual(res.headers.getSetCookie(), []);
      assert.equal((await res.json()).error.code, "ERR_FORBIDDEN");
    }
    const json = await fx.app.request(`${ORIGIN}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
      body: "{}",
    });
    assert.equal(json.status, 415);
  } finally {
    await fx.close();
  }
});

test("the callback consumes the login nonce once: a replayed or altered login cookie is refused", async () => {
  const fx = await startGateway();
  try {
    const jar = new CookieJar();
    await send(fx.app, jar, "/auth/login?redirect=/x");
    const cookie = `authlite_login=${jar.get("authlite_login")}`;
    const first = await fx.app.request(
      `${ORIGIN}/auth/callback?code=${fx.emu.mintCode({ email: "a@example.com" })}`,
      { headers: { cookie } },
    );
    assert.equal(first.status, 302);
    const replay = await fx.app.request(
      `${ORIGIN}/auth/callback?code=${fx.emu.mintCode({ email: "b@example.com" })}`,
      { headers: { cookie } },
    );
    assert.equal(replay.status, 400, "the same login cookie twice");
    assert.ok(!replay.headers.getSetCookie().some((l) => l.startsWith("authlite_access=")));

    const other = new CookieJar();
    await send(fx.app, other, "/auth/login?redirect=/x");
    const [nonce, issued, , mac] = decodeURIComponent(other.get("authlite_login") ?? "").split(".");
    const forged = `${nonce}.${issued}.${btoa("//evil.example").replace(/=+$/, "")}.${mac}`;
    const res = await fx.app.request(
      `${ORIGIN}/auth/callback?code=${fx.emu.mintCode({ email: "c@example.com" })}`,
      { headers: { cookie: `authlite_login=${encodeURIComponent(forged)}` } },
    );
    assert.equal(res.status, 400, "a login cookie whose path was changed");
  } finally {
    await fx.close();
  }
});

test("LoginFlow refuses a login cookie older than ten minutes", async () => {
  let now = 1_700_000_000_000;
  const flow = new LoginFlow({
    secret: "login-secret-0123456789abcdef-0123456789",
    attributes: { path: "/", httpOnly: true },
    now: () => now,
  });
  const app = new Hono()
    .get("/start", (c) => (flow.start(c, "/p"), c.text("ok")))
    .get("/finish", (c) => c.text(flow.finish(c) ?? "none"));
  const start = await app.request("/start");
  const cookie = (start.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  now += 601_000;
  assert.equal(await (await app.request("/finish", { headers: { cookie } })).text(), "none");
  const again = await app.request("/start");
  const fresh = (again.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  now += 599_000;
  assert.equal(await (await app.request("/finish", { headers: { cookie: fresh } })).text(), "/p");
});

test("cookie prefix __Host- (host-bound cookies) works through login, callback and /auth/me", async () => {
  const fx = await startGateway({ cookie: { prefix: "__Host-authlite_" } });
  try {
    const jar = new CookieJar();
    const login = await send(fx.app, jar, "/auth/login?redirect=/in");
    assert.equal(login.status, 302);
    assert.ok(jar.get("__Host-authlite_login"));
    const code = fx.emu.mintCode({ email: "host@example.com" });
    const cb = await send(fx.app, jar, `/auth/callback?code=${code}`);
    assert.equal(cb.headers.get("location"), "/in");
    for (const line of cb.headers.getSetCookie()) {
      assert.match(line, /^__Host-authlite_/);
      assert.match(line, /; Path=\/; /);
      assert.doesNotMatch(line, /Domain=/i);
    }
    assert.equal((await send(fx.app, jar, "/auth/me")).status, 200);
  } finally {
    await fx.close();
  }
});
