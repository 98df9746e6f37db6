// Every operation of the client against the emulator, over real HTTP on a
// loopback socket, with real HS256 signatures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type AuthLiteCredentialsError, AuthLiteHttpError, AuthLiteTokenSetError } from "../mod.ts";
import { rejectsWith, startEmulator } from "./_client_helpers.ts";
import type { EmulatorEnv } from "./_client_helpers.ts";

async function withEmulator(run: (env: EmulatorEnv) => Promise<void>): Promise<void> {
  const env = await startEmulator();
  try {
    await run(env);
  } finally {
    await env.close();
  }
}

test("getUser() exchanges a login code for the user, their roles and tokens", () =>
  withEmulator(async ({ emu, client }) => {
    const role = emu.seedRole({ name: "editor", permissions: [{ doc: "write" }] });
    const seeded = emu.seedUser({ email: "ada@example.com", name: "Ada", roles: [role.rol_id] });
    const user = await client.getUser(emu.mintCode({ email: "ada@example.com" }));
    assert.equal(user.uid, seeded.uid);
    assert.equal(user.email, "ada@example.com");
    assert.equal(user.name, "Ada");
    assert.deepEqual(user.roles, [role.rol_id]);
    assert.equal(typeof user.expiresAt, "number");
    assert.equal(typeof user.refreshExpiresAt, "number");
    assert.equal(await client.validateAccessToken(user.accessToken), true);
    assert.deepEqual(emu.requests().byPath, {
      "/api/user/me/auth/data": 1,
      "/api/user/me/auth/validate/token": 1,
    });
  }));

test("getUser() with a code already used: ERR_HTTP 401, not retried", () =>
  withEmulator(async ({ emu, client }) => {
    const code = emu.mintCode({ email: "ada@example.com" });
    await client.getUser(code);
    const err = await rejectsWith(client.getUser(code), "ERR_HTTP");
    assert.equal((err as AuthLiteHttpError).status, 401);
    assert.ok(!err.message.includes(code));
    assert.equal(emu.requests().byPath["/api/user/me/auth/data"], 2);
  }));

test("reAuth() exchanges the settings code for a fresh session", () =>
  withEmulator(async ({ emu, client }) => {
    const seeded = emu.seedUser({ email: "ada@example.com" });
    const result = await client.reAuth(emu.mintCode({ uid: seeded.uid }));
    assert.equal(result.uid, seeded.uid);
    assert.equal(result.email, "ada@example.com");
    assert.equal(await client.validateAccessToken(result.accessToken), true);
  }));

test("getUserData() answers the profile of the token's user", () =>
  withEmulator(async ({ emu, client }) => {
    emu.seedUser({ email: "ada@example.com", name: "Ada Lovelace", img: "https://img.test/a.png" });
    const { accessToken, uid } = emu.session({ email: "ada@example.com" });
    const data = await client.getUserData(accessToken);
    assert.equal(data.uid, uid);
    assert.equal(data.email, "ada@example.com");
    assert.equal(data.name, "Ada Lovelace");
    assert.equal(data.img, "https://img.test/a.png");
  }));

test("getAccessTokenFromRefreshToken() rotates the refresh token", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    const pair = await client.getAccessTokenFromRefreshToken(s.refreshToken);
    assert.notEqual(pair.accessToken, s.accessToken);
    assert.notEqual(pair.refreshToken, s.refreshToken);
    assert.equal(await client.validateAccessToken(pair.accessToken), true);
    const err = await rejectsWith(
      client.getAccessTokenFromRefreshToken(s.refreshToken),
      "ERR_HTTP",
    );
    assert.equal((err as AuthLiteHttpError).status, 401);
    const again = await client.getAccessTokenFromRefreshToken(pair.refreshToken);
    assert.equal(await client.validateAccessToken(again.accessToken), true);
  }));

test("validateAccessToken() answers false for an expired, a garbage or a refresh token", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    assert.equal(await client.validateAccessToken("garbage"), false);
    assert.equal(await client.validateAccessToken(s.refreshToken), false);
    assert.equal(await client.validateAccessToken(s.accessToken), true);
    emu.advanceClock(3601);
    assert.equal(await client.validateAccessToken(s.accessToken), false);
  }));

test("validateTokenSet() answers a valid set as given", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    assert.deepEqual(await client.validateTokenSet(s.accessToken, s.refreshToken), {
      state: true,
      access: s.accessToken,
      refresh: s.refreshToken,
    });
    assert.deepEqual(await client.validateTokenSet(s.accessToken), {
      state: true,
      access: s.accessToken,
      refresh: null,
    });
    assert.equal(emu.requests().byPath["/api/user/me/access/token/"], undefined);
  }));

test("validateTokenSet() refreshes an expired access token", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    emu.advanceClock(3601);
    const check = await client.validateTokenSet(s.accessToken, s.refreshToken);
    assert.equal(check.state, false);
    assert.notEqual(check.access, s.accessToken);
    assert.ok(check.refresh !== null && check.refresh !== s.refreshToken);
    assert.equal(await client.validateAccessToken(check.access), true);
    assert.deepEqual(emu.requests().byPath, {
      "/api/user/me/auth/validate/token": 2,
      "/api/user/me/access/token/": 1,
    });
  }));

test("validateTokenSet() without a refresh token: ERR_INVALID_TOKEN_SET", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    emu.advanceClock(3601);
    const err = await rejectsWith(client.validateTokenSet(s.accessToken), "ERR_INVALID_TOKEN_SET");
    assert.ok(err instanceof AuthLiteTokenSetError);
  }));

test("validateTokenSet() with a revoked refresh token: ERR_INVALID_TOKEN_SET caused by the 401", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    await client.revokeToken({ refreshToken: s.refreshToken });
    emu.advanceClock(3601);
    const err = await rejectsWith(
      client.validateTokenSet(s.accessToken, s.refreshToken),
      "ERR_INVALID_TOKEN_SET",
    );
    assert.ok(err.cause instanceof AuthLiteHttpError);
    assert.equal(err.cause.status, 401);
  }));

test("validateTokenSet() with an upstream outage throws the outage, not an invalid set", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    emu.inject({ kind: "status", status: 500, path: "/api/user/me/auth/validate/token" });
    // Issue 17: an outage is ERR_UNAVAILABLE (503 + Retry-After), the upstream's reply its cause.
    const err = await rejectsWith(
      client.validateTokenSet(s.accessToken, s.refreshToken),
      "ERR_UNAVAILABLE",
    );
    assert.ok(err.cause instanceof AuthLiteHttpError);
    assert.equal(err.cause.status, 500);
  }));

test("revokeToken() revokes an access token alone", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    assert.equal(await client.revokeToken({ accessToken: s.accessToken }), true);
    assert.equal(await client.validateAccessToken(s.accessToken), false);
    const pair = await client.getAccessTokenFromRefreshToken(s.refreshToken);
    assert.equal(await client.validateAccessToken(pair.accessToken), true);
  }));

test("revokeToken() revokes a refresh token alone", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    assert.equal(await client.revokeToken({ refreshToken: s.refreshToken }), true);
    assert.equal(await client.validateAccessToken(s.accessToken), true);
    await rejectsWith(client.getAccessTokenFromRefreshToken(s.refreshToken), "ERR_HTTP");
  }));

test("revokeToken() revokes both tokens of a set", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    const other = emu.session({ email: "ada@example.com" });
    assert.equal(
      await client.revokeToken({ accessToken: s.accessToken, refreshToken: s.refreshToken }),
      true,
    );
    assert.equal(await client.validateAccessToken(s.accessToken), false);
    await rejectsWith(client.getAccessTokenFromRefreshToken(s.refreshToken), "ERR_HTTP");
    assert.equal(await client.validateAccessToken(other.accessToken), true);
    assert.equal(emu.requests().byPath["/api/user/me/token/"], 2);
  }));

test("revokeToken() with revokeAllTokens revokes every session of the user", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    const other = emu.session({ email: "ada@example.com" });
    const stranger = emu.session({ email: "bob@example.com" });
    assert.equal(
      await client.revokeToken({ accessToken: s.accessToken, revokeAllTokens: true }),
      true,
    );
    assert.equal(await client.validateAccessToken(s.accessToken), false);
    assert.equal(await client.validateAccessToken(other.accessToken), false);
    await rejectsWith(client.getAccessTokenFromRefreshToken(other.refreshToken), "ERR_HTTP");
    assert.equal(await client.validateAccessToken(stranger.accessToken), true);
  }));

test("attachRole() and removeRole() change a user's roles, without sign-off", () =>
  withEmulator(async ({ emu, client }) => {
    const a = emu.seedRole({ name: "a", permissions: [{ x: "1" }] });
    const b = emu.seedRole({ name: "b", permissions: [{ y: "2" }] });
    const user = emu.seedUser({ email: "ada@example.com" });
    const attached = await client.attachRole(user.uid, [a.rol_id, b.rol_id]);
    assert.equal(attached.signedOff, false);
    assert.ok(!attached.signedOff);
    assert.deepEqual(attached.reply.role, [a.rol_id, b.rol_id]);
    const removed = await client.removeRole(user.uid, a.rol_id);
    assert.ok(!removed.signedOff);
    assert.deepEqual(removed.reply.role, [b.rol_id]);
    const fresh = await client.getUser(emu.mintCode({ uid: user.uid }));
    assert.deepEqual(fresh.roles, [b.rol_id]);
  }));

test("updateRole() with sign-off re-issues the session with the new roles", () =>
  withEmulator(async ({ emu, client }) => {
    const a = emu.seedRole({ name: "a", permissions: [{ x: "1" }] });
    const b = emu.seedRole({ name: "b", permissions: [{ y: "2" }] });
    const user = emu.seedUser({ email: "ada@example.com", roles: [a.rol_id] });
    const s = emu.session({ uid: user.uid });
    const result = await client.updateRole(user.uid, b.rol_id, a.rol_id, {
      signoffSessionAndAssign: true,
      accessToken: s.accessToken,
      refreshToken: s.refreshToken,
    });
    assert.ok(result.signedOff);
    assert.equal(result.uid, user.uid);
    assert.deepEqual(result.roles, [b.rol_id]);
    assert.equal(await client.validateAccessToken(s.accessToken), false);
    assert.equal(await client.validateAccessToken(result.accessToken), true);
  }));

test("attachRole() with sign-off answers the re-issued tokens", () =>
  withEmulator(async ({ emu, client }) => {
    const a = emu.seedRole({ name: "a", permissions: [{ x: "1" }] });
    const s = emu.session({ email: "ada@example.com" });
    const result = await client.attachRole(s.uid, a.rol_id, {
      signoffSessionAndAssign: true,
      accessToken: s.accessToken,
      refreshToken: s.refreshToken,
    });
    assert.ok(result.signedOff);
    assert.deepEqual(result.roles, [a.rol_id]);
    const data = await client.getUserData(result.accessToken);
    assert.equal(data.claims.scope, JSON.stringify([a.rol_id]));
  }));

test("attachRole() of an unknown role: ERR_HTTP 404 with the endpoint, not retried", () =>
  withEmulator(async ({ emu, client }) => {
    const user = emu.seedUser({ email: "ada@example.com" });
    const err = await rejectsWith(client.attachRole(user.uid, "rol_nope"), "ERR_HTTP");
    assert.ok(err instanceof AuthLiteHttpError);
    assert.equal(err.status, 404);
    assert.equal(err.endpoint, "/rbac/assign/permission");
    assert.equal(emu.requests().total, 1);
  }));

test("roles.addRole(), addPermission(), deletePermission(), deleteRole(), getAllRoles()", () =>
  withEmulator(async ({ client }) => {
    const role = await client.roles.addRole("editor", { doc: "write", img: "read" });
    assert.equal(role.name, "editor");
    assert.equal(role.orgId, "org_demo");
    assert.deepEqual(role.permissions, [{ doc: "write" }, { img: "read" }]);
    const added = await client.roles.addPermission(role.rolId, [{ tag: "edit" }]);
    assert.deepEqual(added, {
      orgId: "org_demo",
      rolId: role.rolId,
      permissions: [{ tag: "edit" }],
    });
    const left = await client.roles.deletePermission(role.rolId, { img: "read" });
    assert.deepEqual(left.permissions, [{ doc: "write" }, { tag: "edit" }]);
    const all = await client.roles.getAllRoles();
    assert.deepEqual(all, [{ ...role, permissions: [{ doc: "write" }, { tag: "edit" }] }]);
    const deleted = await client.roles.deleteRole(role.rolId);
    assert.equal(deleted.rolId, role.rolId);
    assert.deepEqual(await client.roles.getAllRoles(), []);
  }));

test("generateUrl() opens the emulator's login widget", () =>
  withEmulator(async ({ client }) => {
    const url = client.generateUrl();
    assert.match(url, /\/widget\/login\/\?org_id=org_demo$/);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }));

test("generateEditUserUrl() opens the emulator's settings page", () =>
  withEmulator(async ({ emu, client }) => {
    const s = emu.session({ email: "ada@example.com" });
    const url = await client.generateEditUserUrl(s.accessToken, "http://127.0.0.1:9/back");
    const res = await fetch(url);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }));

test("AuthLiteClient with wrong credentials: ERR_CREDENTIALS from the emulator's 401", () =>
  withEmulator(async ({ emu, makeClient }) => {
    const s = emu.session({ email: "ada@example.com" });
    const client = makeClient({ secretKey: "not-the-secret" });
    // Issue 18: the organisation's credentials rejected is ERR_CREDENTIALS, not ERR_HTTP.
    const err = await rejectsWith(client.getUserData(s.accessToken), "ERR_CREDENTIALS");
    assert.equal((err as AuthLiteCredentialsError).credential, "secretKey");
    assert.ok(!JSON.stringify(err).includes(s.accessToken));
  }));
