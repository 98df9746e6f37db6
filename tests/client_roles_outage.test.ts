// Issue 17, degrade instead of failing: while the upstream is out, the last
// loaded roles of the organisation keep answering permission checks for
// `staleRolesMaxSeconds`, tried again at most once a second; past the bound
// (or for a failure that is not an outage) the error is thrown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rejectsWith, startEmulator } from "./_client_helpers.ts";

const ROLE = "/rbac/role";

test("roles.validate() answers from the last roles through an upstream outage, for a bounded time", async () => {
  const env = await startEmulator();
  try {
    let now = 1_000_000;
    const client = env.makeClient({
      now: () => now,
      retries: 0,
      roleCacheTtlSeconds: 30,
      staleRolesMaxSeconds: 120,
      breaker: false,
    });
    const role = await client.roles.addRole("writer", { notes: "write" });
    assert.equal(await client.roles.validate(role.rolId, "notes", "write"), true);
    const loads = () => env.emu.requests().byPath[ROLE] ?? 0;

    // The TTL has passed and the upstream answers 503: the last roles answer.
    now += 31_000;
    env.emu.inject({ kind: "status", path: ROLE, status: 503, count: 1000 });
    const before = loads();
    assert.equal(await client.roles.validate(role.rolId, "notes", "write"), true);
    assert.equal(loads(), before + 1);
    // Within the second, no new attempt: one failed reload serves them all.
    for (let i = 0; i < 20; i++) {
      assert.equal(await client.roles.validate(role.rolId, "notes", "write"), true);
    }
    assert.equal(loads(), before + 1);
    // A second later it tries again (and still answers).
    now += 1_000;
    assert.equal(await client.roles.count(), 1);
    assert.equal(loads(), before + 2);

    // Past the bound, the outage is the caller's to see.
    now += 120_000;
    await rejectsWith(client.roles.validate(role.rolId, "notes", "write"), "ERR_HTTP");
  } finally {
    await env.close();
  }
});

test("roles.validate() does not serve stale roles for a failure that is not an outage", async () => {
  const env = await startEmulator();
  try {
    let now = 1_000_000;
    const client = env.makeClient({ now: () => now, retries: 0, roleCacheTtlSeconds: 30 });
    const role = await client.roles.addRole("writer", { notes: "write" });
    assert.equal(await client.roles.validate(role.rolId, "notes", "write"), true);
    now += 31_000;
    env.emu.inject({ kind: "status", path: ROLE, status: 403 });
    await rejectsWith(client.roles.validate(role.rolId, "notes", "write"), "ERR_HTTP");
  } finally {
    await env.close();
  }
});
