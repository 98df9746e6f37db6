// The local role cache against the emulator: lazy load, merged permissions,
// reload on an X-EDGE change and after the client's own changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mergePermissions } from "../src/client/role_cache.ts";
import { startEmulator } from "./_client_helpers.ts";
import type { EmulatorEnv } from "./_client_helpers.ts";

const LIST = "/rbac/role";

async function withEmulator(run: (env: EmulatorEnv) => Promise<void>): Promise<void> {
  const env = await startEmulator();
  try {
    await run(env);
  } finally {
    await env.close();
  }
}

/** How many times the client listed the roles (GET /rbac/role). */
function loads(env: EmulatorEnv): number {
  return env.sent.filter((call) => call === `GET ${LIST}`).length;
}

test("roles.validate() loads the roles once, lazily, and merges every permission", () =>
  withEmulator(async (env) => {
    const { emu, client } = env;
    const role = emu.seedRole({
      name: "editor",
      permissions: [{ doc: "write" }, { img: "read" }, { tag: "edit" }],
    });
    assert.equal(loads(env), 0, "the constructor loads nothing");
    assert.equal(await client.roles.validate(role.rol_id, "doc", "write"), true);
    assert.equal(await client.roles.validate(role.rol_id, "img", "read"), true);
    assert.equal(await client.roles.validate(role.rol_id, "tag", "edit"), true);
    assert.equal(await client.roles.validate(role.rol_id, "doc", "read"), false);
    assert.equal(await client.roles.validate(role.rol_id, "nope", "write"), false);
    assert.equal(await client.roles.validate("rol_unknown", "doc", "write"), false);
    assert.equal(await client.roles.validate(role.rol_id, "toString", "x"), false);
    assert.equal(await client.roles.count(), 1);
    assert.equal(loads(env), 1);
  }));

test("roles.query() by role id, by permission key, by both, or neither", () =>
  withEmulator(async ({ emu, client }) => {
    const editor = emu.seedRole({
      name: "editor",
      permissions: [{ doc: "write" }, { img: "read" }],
    });
    const viewer = emu.seedRole({ name: "viewer", permissions: [{ doc: "read" }] });
    const all = await client.roles.query();
    assert.deepEqual(
      all.sort((a, b) => a.name.localeCompare(b.name)),
      [
        { roleId: editor.rol_id, name: "editor", permissions: { doc: "write", img: "read" } },
        { roleId: viewer.rol_id, name: "viewer", permissions: { doc: "read" } },
      ],
    );
    assert.deepEqual(await client.roles.query({ roleId: viewer.rol_id }), [
      { roleId: viewer.rol_id, name: "viewer", permissions: { doc: "read" } },
    ]);
    assert.deepEqual(await client.roles.query({ permissionKey: "img" }), [
      { roleId: editor.rol_id, name: "editor", permissions: { img: "read" } },
    ]);
    assert.deepEqual(
      (await client.roles.query({ permissionKey: "doc" })).map((m) => m.permissions.doc).sort(),
      ["read", "write"],
    );
    assert.deepEqual(await client.roles.query({ roleId: editor.rol_id, permissionKey: "doc" }), [
      { roleId: editor.rol_id, name: "editor", permissions: { doc: "write" } },
    ]);
    assert.deepEqual(await client.roles.query({ roleId: viewer.rol_id, permissionKey: "img" }), []);
    assert.deepEqual(await client.roles.query({ roleId: "rol_unknown" }), []);
  }));

test("roles.query() results are copies: changing them does not change the cache", () =>
  withEmulator(async ({ emu, client }) => {
    const role = emu.seedRole({ name: "editor", permissions: [{ doc: "write" }] });
    const [match] = await client.roles.query({ roleId: role.rol_id });
    match!.permissions.doc = "admin";
    assert.equal(await client.roles.validate(role.rol_id, "doc", "write"), true);
  }));

test("roles.count() reloads when a reply's X-EDGE differs from the cached count", () =>
  withEmulator(async (env) => {
    const { emu, client } = env;
    emu.seedRole({ name: "a", permissions: [{ x: "1" }] });
    const s = emu.session({ email: "ada@example.com" });
    assert.equal(await client.roles.count(), 1);
    assert.equal(loads(env), 1);

    // Any reply carrying the same count leaves the cache alone.
    await client.validateAccessToken(s.accessToken);
    assert.equal(await client.roles.count(), 1);
    assert.equal(loads(env), 1);

    // Someone else adds a role: the next reply says X-EDGE: 2.
    const b = emu.seedRole({ name: "b", permissions: [{ y: "2" }] });
    assert.equal(loads(env), 1, "no reload before a reply says so");
    await client.validateAccessToken(s.accessToken);
    assert.equal(await client.roles.validate(b.rol_id, "y", "2"), true);
    assert.equal(await client.roles.count(), 2);
    assert.equal(loads(env), 2);
  }));

test("roles.validate() reloads after the client's own changes", () =>
  withEmulator(async (env) => {
    const { client } = env;
    const role = await client.roles.addRole("editor", { doc: "write" });
    assert.equal(await client.roles.validate(role.rolId, "doc", "write"), true);
    assert.equal(loads(env), 1);

    await client.roles.addPermission(role.rolId, { img: "read" });
    assert.equal(await client.roles.validate(role.rolId, "img", "read"), true);
    assert.equal(loads(env), 2);

    await client.roles.deletePermission(role.rolId, { doc: "write" });
    assert.equal(await client.roles.validate(role.rolId, "doc", "write"), false);
    assert.equal(loads(env), 3);

    await client.roles.deleteRole(role.rolId);
    assert.equal(await client.roles.count(), 0);
    assert.equal(loads(env), 4);
  }));

test("roles.getAllRoles() refreshes the cache: no extra load afterwards", () =>
  withEmulator(async (env) => {
    const { emu, client } = env;
    const role = emu.seedRole({ name: "a", permissions: [{ x: "1" }, { z: "3" }] });
    await client.roles.getAllRoles();
    assert.equal(await client.roles.validate(role.rol_id, "z", "3"), true);
    assert.equal(loads(env), 1);
  }));

test("roles.count() loads once for concurrent callers", () =>
  withEmulator(async (env) => {
    env.emu.seedRole({ name: "a", permissions: [{ x: "1" }] });
    const counts = await Promise.all([
      env.client.roles.count(),
      env.client.roles.count(),
      env.client.roles.validate("r", "k", "v"),
    ]);
    assert.deepEqual(counts, [1, 1, false]);
    assert.equal(loads(env), 1);
  }));

test("roles.count() keeps no static state: each client has its own cache", () =>
  withEmulator(async (env) => {
    env.emu.seedRole({ name: "a", permissions: [{ x: "1" }] });
    const other = env.makeClient();
    assert.equal(await env.client.roles.count(), 1);
    assert.equal(await other.roles.count(), 1);
    assert.equal(loads(env), 1);
    assert.equal(env.emu.requests().byPath[LIST], 2);
  }));

test("roles.count() after a failed load tries again next time", () =>
  withEmulator(async (env) => {
    env.emu.inject({ kind: "status", status: 500, path: LIST });
    await assert.rejects(env.client.roles.count(), (err: { code?: string }) =>
      err.code === "ERR_HTTP");
    assert.equal(await env.client.roles.count(), 0);
    assert.equal(loads(env), 2);
  }));

test("mergePermissions() merges every map, later keys winning", () => {
  assert.deepEqual(mergePermissions([{ a: "1" }, { b: "2", c: "3" }, { a: "4" }]), {
    a: "4",
    b: "2",
    c: "3",
  });
  assert.deepEqual(mergePermissions([]), {});
});

test("mergePermissions() keeps a permission named __proto__ as data", () => {
  const merged = mergePermissions([JSON.parse('{"__proto__":"x","a":"1"}')]);
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.ok(Object.hasOwn(merged, "__proto__"));
  assert.equal(Object.getOwnPropertyDescriptor(merged, "__proto__")?.value, "x");
  assert.equal(merged.a, "1");
});

test("roles.validate() does not keep a list loaded before the client's own change", async () => {
  const { createEmulator, DEMO_ORG } = await import("../src/emulator/mod.ts");
  const { AuthLiteClient } = await import("../mod.ts");
  const { serve } = await import("./_serve.ts");
  const emu = createEmulator();
  const server = await serve(emu.fetch);
  // A list of roles that is read now but reaches the client only when released.
  let hold: Promise<void> | undefined;
  let release = () => {};
  let arrived = () => {};
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await globalThis.fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : input);
    if ((init?.method ?? "GET") === "GET" && url.pathname === LIST && hold) {
      arrived();
      await hold;
    }
    return res;
  };
  try {
    const role = emu.seedRole({ name: "ops", permissions: [{ admin: "true" }, { doc: "read" }] });
    const client = new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      baseUrl: server.url,
      fetch,
    });
    assert.equal(await client.roles.validate(role.rol_id, "admin", "true"), true);
    // Another party adds a role: the next reply's X-EDGE makes the cache stale.
    emu.seedRole({ name: "other", permissions: [{ x: "y" }] });
    await client.roles.addPermission(role.rol_id, { extra: "1" });
    hold = new Promise((resolve) => (release = resolve));
    const read = new Promise<void>((resolve) => (arrived = resolve));
    const during = client.roles.validate(role.rol_id, "admin", "true"); // loads: held
    await read; // the list has been read upstream, before the change below
    hold = undefined;
    await client.roles.deletePermission(role.rol_id, { admin: "true" }); // done meanwhile
    release();
    await during;
    assert.equal(await client.roles.validate(role.rol_id, "admin", "true"), false);
    assert.equal(await client.roles.validate(role.rol_id, "extra", "1"), true);
  } finally {
    release();
    await server.close();
  }
});
