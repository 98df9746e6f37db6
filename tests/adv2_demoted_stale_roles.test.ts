// Adversarial: "degrade to the last known roles through an outage" also
// serves roles that are known to be wrong. After a role is removed from a
// user (the assignment marks the user's roles as changed), the next request
// must read the roles again; if that read fails (an upstream outage, which an
// attacker can provoke by driving the organisation's key into 429s), the
// resolver falls back to the pre-demotion roles, and requirePermission()
// grants the permission that was just taken away.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { authlite, requirePermission } from "../src/hono/mod.ts";
import { startEmulator } from "./_client_helpers.ts";

test("adv2: a demoted user's old roles are not served through an outage", async () => {
  const env = await startEmulator();
  try {
    const client = env.makeClient({ retries: 0, roleCacheTtlSeconds: 30, breaker: false });
    const role = await client.roles.addRole("writer", { notes: "write" });
    const { uid } = env.emu.session({ email: "demoted@example.com" });
    await client.attachRole(uid, role.rolId);
    const { accessToken } = env.emu.session({ uid });
    const app = new Hono()
      .use(authlite({ client }))
      .post("/notes", requirePermission("notes", "write"), (c) => c.text("written"));
    const write = async () => {
      const res = await app.request("/notes", {
        method: "POST",
        headers: { authorization: `Bearer ${accessToken}` },
      });
      await res.body?.cancel();
      return res.status;
    };
    assert.equal(await write(), 200, "the writer writes");

    await client.removeRole(uid, role.rolId);
    assert.equal(await write(), 403, "with the upstream up, the demotion is honoured");

    // Same again, but the read of the user after the demotion fails.
    await client.attachRole(uid, role.rolId);
    assert.equal(await write(), 200, "the writer writes again");
    await client.removeRole(uid, role.rolId);
    env.emu.inject({ kind: "status", path: "/api/user/me/data", status: 503, count: 1000 });
    const status = await write();
    assert.notEqual(
      status,
      200,
      "a demoted user wrote through an outage with the roles taken away",
    );
    assert.equal(status, 503, "the roles cannot be decided now: 503, try again later");
  } finally {
    await env.close();
  }
});
