import { test } from "node:test";
import assert from "node:assert/strict";
import { testClient } from "hono/testing";
import {
  ADMIN_KEY,
  CookieJar,
  type GatewayFixture,
  SERVICE_KEY,
  startGateway,
} from "./_gateway_fixture.ts";

const ORIGIN = "http://gw.test";

async function withGateway(run: (fx: GatewayFixture) => Promise<void>): Promise<void> {
  const fx = await startGateway();
  try {
    await run(fx);
  } finally {
    await fx.close();
  }
}

/** Sign `email` in through the browser routes; answers the cookie jar. */
async function signIn(fx: GatewayFixture, email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  jar.take(await fx.app.request(`${ORIGIN}/auth/login`));
  const code = fx.emu.mintCode({ email });
  jar.take(
    await fx.app.request(`${ORIGIN}/auth/callback?code=${code}`, {
      headers: { cookie: jar.header() },
    }),
  );
  assert.ok(jar.get("authlite_access"), "signed in");
  return jar;
}

test("GET /admin/roles without a credential answers 401", () =>
  withGateway(async (fx) => {
    const res = await fx.app.request(`${ORIGIN}/admin/roles`);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "ERR_UNAUTHORIZED");
  }));

test("GET /admin/roles with a wrong key or the service key answers 401", () =>
  withGateway(async (fx) => {
    for (const key of ["wrong-admin-key-0123456789", SERVICE_KEY]) {
      const res = await fx.app.request(`${ORIGIN}/admin/roles`, {
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(res.status, 401);
    }
  }));

test("admin routes with the admin key manage roles, permissions and user roles", () =>
  withGateway(async (fx) => {
    const admin = testClient(fx.app, undefined, undefined, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    }).admin;
    const created = await admin.roles.$post({
      json: { name: "support", permissions: [{ tickets: "rw" }] },
    });
    assert.equal(created.status, 200);
    if (created.status !== 200) return;
    const role = await created.json();

    const listed = await admin.roles.$get();
    if (listed.status !== 200) return assert.fail(String(listed.status));
    assert.deepEqual((await listed.json()).roles.map((r) => r.rolId), [role.rolId]);

    const added = await admin.roles[":rolId"].permissions.$post({
      param: { rolId: role.rolId },
      json: { permissions: { refunds: "r" } },
    });
    assert.equal(added.status, 200);
    const removed = await admin.roles[":rolId"].permissions.$delete({
      param: { rolId: role.rolId },
      json: { permissions: [{ tickets: "rw" }] },
    });
    assert.equal(removed.status, 200);
    if (removed.status !== 200) return;
    assert.deepEqual((await removed.json()).permissions, [{ refunds: "r" }]);

    const s = fx.emu.session({ email: "hal@example.com" });
    const assigned = await admin.users[":uid"].roles.$post({
      param: { uid: s.uid },
      json: { add: [role.rolId] },
    });
    assert.equal(assigned.status, 200);

    const deleted = await admin.roles[":rolId"].$delete({ param: { rolId: role.rolId } });
    assert.equal(deleted.status, 200);
    if (deleted.status !== 200) return;
    assert.equal((await deleted.json()).rolId, role.rolId);
  }));

test("admin routes accept a signed-in user whose role grants the admin permission", () =>
  withGateway(async (fx) => {
    const role = fx.emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
    fx.emu.seedUser({ email: "root@example.com", roles: [role.rol_id] });
    const jar = await signIn(fx, "root@example.com");
    const res = await fx.app.request(`${ORIGIN}/admin/roles`, {
      headers: { cookie: jar.header() },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).roles[0].rolId, role.rol_id);

    const created = await fx.app.request(`${ORIGIN}/admin/roles`, {
      method: "POST",
      headers: { cookie: jar.header(), "content-type": "application/json" },
      body: JSON.stringify({ name: "viewers", permissions: { view: "yes" } }),
    });
    assert.equal(created.status, 200);
  }));

test("admin routes answer 403 to a signed-in user without the permission", () =>
  withGateway(async (fx) => {
    const role = fx.emu.seedRole({ name: "staff", permissions: [{ admin: "false" }] });
    fx.emu.seedUser({ email: "joe@example.com", roles: [role.rol_id] });
    const jar = await signIn(fx, "joe@example.com");
    const res = await fx.app.request(`${ORIGIN}/admin/roles`, {
      headers: { cookie: jar.header() },
    });
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), {
      error: { code: "ERR_FORBIDDEN", message: "Missing permission: admin" },
    });
  }));

test("admin routes check a wrong admin key before the session cookie", () =>
  withGateway(async (fx) => {
    const role = fx.emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
    fx.emu.seedUser({ email: "kim@example.com", roles: [role.rol_id] });
    const jar = await signIn(fx, "kim@example.com");
    const res = await fx.app.request(`${ORIGIN}/admin/roles`, {
      headers: { cookie: jar.header(), authorization: "Bearer not-the-admin-key-000000" },
    });
    assert.equal(res.status, 401);
  }));

test("POST /admin/roles with a bad body answers 400 with the issues; without auth 401 first", () =>
  withGateway(async (fx) => {
    const bad = await fx.app.request(`${ORIGIN}/admin/roles`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "", permissions: "all" }),
    });
    assert.equal(bad.status, 400);
    const body = await bad.json();
    const paths = body.error.issues.map((i: { path: string[] }) => i.path.join("."));
    assert.ok(paths.includes("json.name"), paths.join(","));
    assert.ok(paths.includes("json.permissions"), paths.join(","));

    const anonymous = await fx.app.request(`${ORIGIN}/admin/roles`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "" }),
    });
    assert.equal(anonymous.status, 401);
  }));

test("createGateway() with an adminPermission of its own checks that one", async () => {
  const fx = await startGateway({ adminPermission: { key: "role-admin", value: "yes" } });
  try {
    const role = fx.emu.seedRole({ name: "ops", permissions: [{ "role-admin": "yes" }] });
    fx.emu.seedUser({ email: "ops@example.com", roles: [role.rol_id] });
    const jar = await signIn(fx, "ops@example.com");
    const res = await fx.app.request(`${ORIGIN}/admin/roles`, {
      headers: { cookie: jar.header() },
    });
    assert.equal(res.status, 200);
  } finally {
    await fx.close();
  }
});

test("GET /admin/* by permission: a role taken away upstream ends admin access by the next refresh", () =>
  withGateway(async (fx) => {
    const role = fx.emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
    const user = fx.emu.seedUser({ email: "ex-admin@example.com", roles: [role.rol_id] });
    const jar = await signIn(fx, "ex-admin@example.com");
    const asUser = () =>
      fx.app.request(`${ORIGIN}/admin/roles`, { headers: { cookie: jar.header() } });
    const before = await asUser();
    assert.equal(before.status, 200);
    await before.body?.cancel();

    // The role is taken away upstream, without signing the session off.
    const taken = await fx.app.request(`${ORIGIN}/admin/users/${user.uid}/roles`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ remove: [role.rol_id] }),
    });
    assert.equal(taken.status, 200);
    await taken.body?.cancel();

    // Past the access token's lifetime the session is refreshed and the roles read again.
    fx.advance(3601);
    const after = await asUser();
    jar.take(after);
    assert.equal(after.status, 403);
    assert.equal((await after.json()).error.code, "ERR_FORBIDDEN");
    const again = await asUser();
    assert.equal(again.status, 403, "the re-set profile cookie holds the new roles");
    await again.body?.cancel();
  }));
