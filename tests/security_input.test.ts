// Finding 8: a permission key `__proto__` was dropped silently (the reply
// showed `{}`), and so were `constructor` and `prototype` (by the reply schemas). Now it is refused, named, before any upstream call: by the
// client (ERR_BAD_INPUT) and by every gateway route that takes a permission
// map (400 with the issue).
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteInputError } from "../mod.ts";
import { ADMIN_KEY, SERVICE_KEY, startGateway } from "./_gateway_fixture.ts";

const HOSTILE = [
  '{"__proto__":"x"}',
  '{"ok":"1","__proto__":{"admin":"true"}}',
  '[{"a":"b"},{"__proto__":"y"}]',
  '{"constructor":"x"}',
  '[{"prototype":"x"}]',
];

test("roles.addRole(), addPermission(), deletePermission() refuse a __proto__ key, named, before any request", async () => {
  const fx = await startGateway();
  try {
    const role = fx.emu.seedRole({ name: "r", permissions: [{ a: "b" }] });
    const before = fx.emu.requests().total;
    for (const text of HOSTILE) {
      const permissions = JSON.parse(text);
      for (
        const call of [
          () => fx.client.roles.addRole("n", permissions),
          () => fx.client.roles.addPermission(role.rol_id, permissions),
          () => fx.client.roles.deletePermission(role.rol_id, permissions),
        ]
      ) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof AuthLiteInputError);
          assert.equal(err.code, "ERR_BAD_INPUT");
          assert.match(err.message, /reserved keys: (__proto__|constructor|prototype)/);
          return true;
        });
      }
    }
    assert.equal(fx.emu.requests().total, before, "no upstream call");
  } finally {
    await fx.close();
  }
});

test("every gateway route that takes permissions answers 400 naming __proto__, and calls no upstream", async () => {
  const fx = await startGateway();
  try {
    const role = fx.emu.seedRole({ name: "r", permissions: [{ a: "b" }] });
    const routes: Array<[string, string, string, (p: string) => string]> = [
      ["POST", "/rpc/roles/addRole", SERVICE_KEY, (p) => `{"name":"n","permissions":${p}}`],
      [
        "POST",
        "/rpc/roles/addPermission",
        SERVICE_KEY,
        (p) => `{"rolId":"${role.rol_id}","permissions":${p}}`,
      ],
      [
        "POST",
        "/rpc/roles/deletePermission",
        SERVICE_KEY,
        (p) => `{"rolId":"${role.rol_id}","permissions":${p}}`,
      ],
      ["POST", "/admin/roles", ADMIN_KEY, (p) => `{"name":"n","permissions":${p}}`],
      ["POST", `/admin/roles/${role.rol_id}/permissions`, ADMIN_KEY, (p) => `{"permissions":${p}}`],
      [
        "DELETE",
        `/admin/roles/${role.rol_id}/permissions`,
        ADMIN_KEY,
        (p) => `{"permissions":${p}}`,
      ],
    ];
    const before = fx.emu.requests().total;
    for (const [method, path, key, body] of routes) {
      for (const p of HOSTILE) {
        const res = await fx.app.request(`http://gw.test${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: body(p),
        });
        const json = await res.json() as {
          error: { code: string; issues?: Array<{ message: string; path: unknown[] }> };
        };
        assert.equal(res.status, 400, `${method} ${path} ${p}`);
        assert.equal(json.error.code, "ERR_BAD_INPUT");
        const issue = json.error.issues?.find((i) =>
          /Reserved permission keys: (__proto__|constructor|prototype)/.test(i.message)
        );
        assert.ok(issue, `${method} ${path}: ${JSON.stringify(json)}`);
        assert.equal(issue.path.at(-1), "permissions");
      }
    }
    assert.equal(fx.emu.requests().total, before, "no upstream call");
    // And an ordinary key still goes through.
    const ok = await fx.app.request(`http://gw.test/admin/roles`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: '{"name":"fine","permissions":{"toString":"x","hasOwnProperty":"y"}}',
    });
    assert.equal(ok.status, 200);
    const created = await ok.json() as { permissions: Array<Record<string, string>> };
    const expected: Array<Record<string, string>> = [{ toString: "x" }, { hasOwnProperty: "y" }];
    assert.deepEqual(created.permissions, expected);
  } finally {
    await fx.close();
  }
});
