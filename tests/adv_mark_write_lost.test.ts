// Adversarial (robustness): a demotion made through one instance while the
// shared store briefly fails its writes. A revoke is retried and "never
// lost"; the role mark is written once (RoleMarks.markUser: no retry, no
// report), so another instance keeps serving the demoted user's old roles
// (admin) from what it read last, for the whole role TTL, although the
// store is back and the demotion call succeeded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore } from "../src/cache/mod.ts";
import type { KVStore } from "../src/cache/mod.ts";
import { startEmulator } from "./_client_helpers.ts";

test("adv: a demotion made during a store write blip is honoured by the other instance", async () => {
  const inner = memoryStore();
  let writesDown = false;
  const fail = () => Promise.reject(new Error("Store down"));
  const store: KVStore = {
    consistency: "strong",
    get: (k) => inner.get(k),
    put: (k, v, o) => writesDown ? fail() : inner.put(k, v, o),
    delete: (k) => writesDown ? fail() : inner.delete(k),
    putIfAbsent: (k, v, o) => writesDown ? fail() : inner.putIfAbsent!(k, v, o),
  };
  let t = Date.now();
  const now = () => t;
  const env = await startEmulator({ client: { tokenCache: store, now } });
  try {
    const role = env.emu.seedRole({ name: "admin", permissions: [{ admin: "yes" }] });
    env.emu.seedUser({ email: "eve@example.com", roles: [role.rol_id] });
    const s = env.emu.session({ email: "eve@example.com" });
    const a = env.client;
    const b = env.makeClient({ tokenCache: store, now });
    const seen = await b.roles.currentUser(s.accessToken);
    assert.deepEqual(seen.roles, [role.rol_id]);

    t += 2000;
    writesDown = true;
    await a.removeRole(s.uid, role.rol_id); // succeeds upstream
    writesDown = false;
    t += 2000; // past the marks' sync interval (1 s), well within the role TTL

    // The failed write is retried in the background: the other instance sees
    // the demotion once the store takes it (polled with a deadline; the retry
    // runs on real timers).
    const deadline = Date.now() + 5000;
    let current = await b.roles.currentUser(s.accessToken, seen);
    while (current.roles.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      t += 1100; // the other instance's next look at the store
      current = await b.roles.currentUser(s.accessToken, seen);
    }
    assert.deepEqual(current.roles, [], "the other instance still serves the admin role");
  } finally {
    await env.close();
  }
});
