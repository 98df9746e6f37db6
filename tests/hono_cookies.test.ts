// SessionCookies.profile(): a profile cookie is verified once per distinct value
// next to its access token and kept in process; what is kept is never handed out
// for another access token or another cookie value.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { SessionCookies } from "../src/hono/_internal.ts";

const SECRET = "a-session-secret-of-at-least-32-characters";
const user = { uid: "u1", email: "ada@example.com", name: "Ada", img: null, roles: ["rol_a"] };

async function profileCookie(cookies: SessionCookies, access: string): Promise<string> {
  const app = new Hono().get("/", (c) => {
    cookies.set(c, access, "refresh-token", user);
    return c.body(null, 204);
  });
  const res = await app.request("/");
  const line = res.headers.getSetCookie().find((l) => l.startsWith("authlite_profile="));
  assert.ok(line !== undefined);
  return line.split(";")[0] ?? "";
}

function read(cookies: SessionCookies, cookie: string, access: string) {
  let out: unknown;
  const app = new Hono().get("/", (c) => {
    out = cookies.profile(c, access);
    return c.body(null, 204);
  });
  return Promise.resolve(app.request("/", { headers: { cookie } })).then(() => out);
}

test("profile() verifies a cookie once per value and access token, and keeps the result frozen", async () => {
  const cookies = new SessionCookies(SECRET);
  const cookie = await profileCookie(cookies, "access-1");
  const first = await read(cookies, cookie, "access-1");
  const second = await read(cookies, cookie, "access-1");
  assert.ok(first !== undefined);
  assert.equal(second, first, "the second read is the kept result");
  assert.ok(Object.isFrozen(first));
  assert.deepEqual((first as { roles: string[] }).roles, ["rol_a"]);
  assert.throws(() => (first as { roles: string[] }).roles.push("rol_admin"));
});

test("profile() does not hand a kept result to another access token or a tampered cookie", async () => {
  const cookies = new SessionCookies(SECRET);
  const cookie = await profileCookie(cookies, "access-1");
  assert.ok((await read(cookies, cookie, "access-1")) !== undefined);
  assert.equal(await read(cookies, cookie, "access-2"), undefined);
  const [name, value = ""] = cookie.split("=");
  const [payload = "", sig = ""] = value.split(".");
  const forged = `${name}=${payload.slice(0, -2)}AA.${sig}`;
  assert.equal(await read(cookies, forged, "access-1"), undefined);
  // Another gateway's secret: its cookies are not ours, kept result or not.
  const other = new SessionCookies(`${SECRET}-other`);
  assert.equal(await read(other, cookie, "access-1"), undefined);
});
