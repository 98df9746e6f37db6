import { test } from "node:test";
import assert from "node:assert/strict";
import { buildUi, uiRoutes } from "../web/mod.ts";
import { describeFailure, detailOf } from "../web/words.ts";
import { attempt, readMe, readRoles } from "../web/api.ts";
import { noticeFrom, parsePermissions } from "../web/app.ts";

test("uiRoutes() serves the page, its script and its style sheet with a strict CSP", async () => {
  const app = uiRoutes();
  const page = await app.request("/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  const csp = page.headers.get("content-security-policy") ?? "";
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  const html = await page.text();
  assert.match(html, /<script type="module" src="\/ui\.js"><\/script>/);
  assert.match(html, /<div id="app"/);

  const js = await app.request("/ui.js");
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
  const code = await js.text();
  assert.ok(code.length > 1000, "the bundle holds the page");
  assert.doesNotMatch(code, /^\s*import\s/m, "the bundle has no bare imports left");

  const css = await app.request("/ui.css");
  assert.equal(css.status, 200);
  assert.match(await css.text(), /\.spinner/);
});

test("buildUi() puts a base path in the page's links", async () => {
  const { html } = await buildUi({ basePath: "/gw/", minify: false });
  assert.match(html, /src="\/gw\/ui\.js"/);
  assert.match(html, /content="\/gw"/);
});

test("uiRoutes() refuses a base path that is not a path", () => {
  assert.throws(() => uiRoutes({ basePath: `"><script>` }), { code: "ERR_CONFIG" });
});

test("describeFailure() says a refused admin call in words", () => {
  const text = describeFailure("manage roles", 403, {
    error: { code: "ERR_FORBIDDEN", message: "Missing permission: admin" },
  });
  assert.equal(
    text,
    "You are not allowed to manage roles: your account does not have the “admin” permission.",
  );
  assert.equal(
    describeFailure("manage roles", 403),
    "You are not allowed to manage roles: your account does not have the permission it needs.",
  );
});

test("describeFailure() never shows JSON", () => {
  for (const status of [0, 400, 401, 404, 409, 429, 500, 502, 503, 418]) {
    const text = describeFailure("create the role", status, '{"unexpected":true}');
    assert.doesNotMatch(text, /[{}]/);
    assert.match(text, /create the role/);
  }
});

test("describeFailure() tells an upstream refusal from an upstream outage, without JSON", () => {
  const refused = describeFailure("delete the role", 502, {
    error: {
      code: "ERR_HTTP",
      message: 'Upstream answered 404: /rbac/role: {"detail":"Unknown role: rol_x"}',
    },
  });
  assert.equal(refused, "Could not delete the role: TrustAuthX refused it. Unknown role: rol_x.");
  const down = describeFailure("create the role", 502, {
    error: { code: "ERR_HTTP", message: "Upstream answered 503: /rbac/role: busy" },
  });
  assert.equal(
    down,
    "Could not create the role: TrustAuthX is not answering right now. Try again in a moment.",
  );
  assert.match(
    describeFailure("sign out", 502, { error: { code: "ERR_NETWORK", message: "Network" } }),
    /not answering/,
  );
});

test("noticeFrom() does not read the object prototype", () => {
  assert.equal(
    noticeFrom("?error=constructor")?.text,
    "Something went wrong while signing you in. Try again.",
  );
});

test("detailOf() reads the gateway's issues without the validation target", () => {
  const detail = detailOf({
    error: {
      code: "ERR_BAD_INPUT",
      message: "Invalid request",
      issues: [{ path: ["json", "name"], message: "Too small", code: "too_small" }],
    },
  });
  assert.equal(detail, "name: Too small");
});

test("attempt() turns a network failure into words", async () => {
  const res = await attempt(
    "sign out",
    () => Promise.reject(new TypeError("fetch failed")),
    () => 1,
  );
  assert.equal(res.ok, false);
  assert.equal(!res.ok && res.status, 0);
  assert.match(!res.ok ? res.message : "", /could not be reached/);
});

test("attempt() says so when a success body has the wrong shape", async () => {
  const res = await attempt(
    "check your session",
    () => Promise.resolve(new Response("{}")),
    readMe,
  );
  assert.equal(res.ok, false);
  assert.match(!res.ok ? res.message : "", /does not understand/);
});

test("readMe() and readRoles() read the gateway's shapes", () => {
  const me = readMe({
    user: { uid: "u1", email: "a@b.c", name: null, img: null, roles: ["r1"] },
    session: { refreshed: true },
  });
  assert.deepEqual(me, {
    uid: "u1",
    email: "a@b.c",
    name: "",
    img: "",
    roles: ["r1"],
    refreshed: true,
  });
  const roles = readRoles({
    roles: [{ orgId: "o", rolId: "r1", name: "admin", permissions: [{ admin: "true", x: "y" }] }],
  });
  assert.deepEqual(roles, [{
    rolId: "r1",
    name: "admin",
    permissions: [{ admin: "true" }, { x: "y" }],
  }]);
});

test("parsePermissions() reads key=value lines and rejects the rest", () => {
  assert.deepEqual(parsePermissions("posts=read\n  posts = write ,admin=true\n"), [
    { posts: "read" },
    { posts: "write" },
    { admin: "true" },
  ]);
  assert.equal(typeof parsePermissions("posts"), "string");
  assert.deepEqual(parsePermissions(""), []);
});

test("noticeFrom() reads the notices of the gateway's redirects", () => {
  assert.deepEqual(noticeFrom("?profile=updated"), {
    kind: "info",
    text: "Your profile was updated.",
  });
  assert.deepEqual(noticeFrom("?error=ERR_INVALID_TOKEN_SET"), {
    kind: "error",
    text: "Your session has ended. Sign in again.",
  });
  // Text in the URL is never echoed: an unknown code gets a fixed sentence.
  assert.deepEqual(noticeFrom("?error=Call+0800+now"), {
    kind: "error",
    text: "Something went wrong while signing you in. Try again.",
  });
  assert.equal(noticeFrom(""), undefined);
});
