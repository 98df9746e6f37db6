// What the fault test needs from the emulator (issue 17): faults for a time window rather than
// for N calls (a 503 burst or an outage lasts a while, whoever calls), a way to end them, and a
// count of refresh tokens presented more than once (a second redemption is what a provider's
// reuse detection treats as theft). Over a real socket, through the control surface.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { signJwt } from "../src/emulator/jwt.ts";
import { serve, type TestServer } from "./_serve.ts";

let emu: Emulator;
let server: TestServer;
const CREDS = `api_key=${DEMO_ORG.apiKey}&signed_key=${
  signJwt({ api_key: DEMO_ORG.apiKey }, DEMO_ORG.secretKey)
}`;

before(async () => {
  emu = createEmulator({ control: true });
  server = await serve(emu.fetch);
});

after(async () => {
  await server?.close();
});

// deno-lint-ignore no-explicit-any
async function control(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}/__emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function roles(): Promise<Response> {
  return await fetch(`${server.url}/rbac/role?org_id=${DEMO_ORG.orgId}&${CREDS}`);
}

/** Poll `check` until it holds; a bound on the number of tries, not on time. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`never: ${what}`);
}

test("a fault with duration_ms answers every matching call until the window ends, then none", async () => {
  await control("POST", "/faults", {
    kind: "status",
    status: 429,
    retry_after: 3,
    path: "/rbac/",
    duration_ms: 400,
  });
  for (let i = 0; i < 5; i++) {
    const r = await roles();
    assert.equal(r.status, 429, `call ${i}`);
    assert.equal(r.headers.get("retry-after"), "3");
    await r.body?.cancel();
  }
  await eventually(async () => {
    const r = await roles();
    await r.body?.cancel();
    return r.status === 200;
  }, "the window ended");
});

test("DELETE /__emulator/faults ends every queued fault, windows included", async () => {
  await control("POST", "/faults", { kind: "status", status: 503, duration_ms: 600_000 });
  await control("POST", "/faults", { kind: "reset", count: 1000 });
  const during = await roles();
  assert.equal(during.status, 503);
  await during.body?.cancel();
  assert.deepEqual(await control("DELETE", "/faults"), { ok: true, cleared: 2 });
  const r = await roles();
  assert.equal(r.status, 200);
  await r.body?.cancel();
});

test("a fault with both count and duration_ms ends at whichever comes first; bad windows are 400", async () => {
  await control("POST", "/faults", { kind: "status", status: 502, count: 2, duration_ms: 60_000 });
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    const r = await roles();
    statuses.push(r.status);
    await r.body?.cancel();
  }
  assert.deepEqual(statuses, [502, 502, 200]);
  for (const duration_ms of [0, -5, 1.5, "soon", 3_600_001]) {
    const res = await fetch(`${server.url}/__emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "reset", duration_ms }),
    });
    assert.equal(res.status, 400, `duration_ms ${duration_ms}`);
    await res.body?.cancel();
  }
});

test("GET /__emulator/refreshes counts refresh tokens presented, and those presented more than once", async () => {
  await control("DELETE", "/requests");
  assert.deepEqual(await control("GET", "/refreshes"), {
    presented: 0,
    tokens: 0,
    reused: 0,
    most: 0,
  });
  const a = emu.session({ email: "twice@example.com" });
  const b = emu.session({ email: "once@example.com" });
  const redeem = async (token: string) => {
    const r = await fetch(`${server.url}/api/user/me/access/token/?RefreshToken=${token}&${CREDS}`);
    await r.body?.cancel();
    return r.status;
  };
  assert.equal(await redeem(a.refreshToken), 200);
  assert.equal(await redeem(a.refreshToken), 401, "redeemed once already: revoked");
  assert.equal(await redeem(a.refreshToken), 401);
  assert.equal(await redeem(b.refreshToken), 200);
  assert.equal(await redeem("not-a-token"), 401, "a token never issued is not counted");
  assert.deepEqual(await control("GET", "/refreshes"), {
    presented: 4,
    tokens: 2,
    reused: 1,
    most: 3,
  });
  await control("DELETE", "/requests");
  assert.equal((await control("GET", "/refreshes")).presented, 0);
});
