// Finding 3: 100 requests to /auth/me with one bogus cookie pair cost 200
// upstream calls (a validate and a refresh each). Now a rejected pair is
// remembered for about 30 s (keyed by a MAC, in process), concurrent checks of
// one pair share one run, and the check's upstream calls in flight are bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient, AuthLiteTokenSetError } from "../mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { TokenSetGuard } from "../src/client/_guard.ts";
import { Slots } from "../src/client/_slots.ts";
import { startGateway } from "./_gateway_fixture.ts";

const BOGUS = "authlite_access=bogus-access-token; authlite_refresh=bogus-refresh-token";

async function me(app: { request: (p: string, i?: RequestInit) => Response | Promise<Response> }) {
  const res = await app.request("http://gw.test/auth/me", { headers: { cookie: BOGUS } });
  await res.text();
  return res.status;
}

test("100 concurrent and 100 later /auth/me with one bogus pair cost one validate and one refresh", async () => {
  const fx = await startGateway();
  try {
    const statuses = await Promise.all(Array.from({ length: 100 }, () => me(fx.app)));
    assert.ok(statuses.every((s) => s === 401), JSON.stringify([...new Set(statuses)]));
    assert.equal(fx.emu.requests().total, 2, JSON.stringify(fx.emu.requests().byPath));
    for (let i = 0; i < 100; i++) assert.equal(await me(fx.app), 401);
    assert.equal(fx.emu.requests().total, 2, "the rejection is remembered");
    fx.advance(31);
    assert.equal(await me(fx.app), 401);
    assert.equal(fx.emu.requests().total, 4, "and forgotten after about 30 s");
  } finally {
    await fx.close();
  }
});

test("validateTokenSet() without a token cache: one bogus pair, 50 concurrent calls, two upstream calls", async () => {
  const fx = await startGateway();
  try {
    const client = new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      baseUrl: fx.server.url,
      retries: 0,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => client.validateTokenSet("bogus-a", "bogus-r")),
    );
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.ok(r.reason instanceof AuthLiteTokenSetError);
      assert.doesNotMatch(String(r.reason.message), /bogus/);
    }
    assert.equal(fx.emu.requests().total, 2);
    // Another pair is not affected by the first one's rejection; a good one passes.
    const s = fx.emu.session({ email: "good@example.com" });
    const check = await client.validateTokenSet(s.accessToken, s.refreshToken);
    assert.equal(check.state, true);
  } finally {
    await fx.close();
  }
});

test("Slots keep at most maxInFlight upstream calls running", async () => {
  const slots = new Slots({ maxInFlight: 4, maxQueue: 100 });
  let running = 0;
  let peak = 0;
  const gates: Array<() => void> = [];
  const validate = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
    return false;
  };
  const calls = Array.from({ length: 20 }, () => slots.run(validate));
  // Let every call that may start, start.
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(running, 4);
  let done = 0;
  while (done < 20) {
    const gate = gates.shift();
    assert.ok(gate, "a call is waiting on its gate");
    gate();
    done++;
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.ok(running <= 4, `${running} running`);
  }
  await Promise.all(calls);
  assert.equal(peak, 4);
});

test("TokenSetGuard remembers at most maxRejections rejections, the newest", async () => {
  const guard = new TokenSetGuard({ now: () => 0, maxRejections: 2 });
  const reject = () =>
    Promise.reject(new AuthLiteTokenSetError("Refresh token rejected: log in again"));
  for (const t of ["tok-1", "tok-2", "tok-3"]) {
    await assert.rejects(guard.check(t, "r", reject), AuthLiteTokenSetError);
  }
  let ran = 0;
  const ok = () => (ran++, Promise.resolve({ state: true, access: "tok-1", refresh: "r" }));
  // tok-1 was the oldest of three with room for two: forgotten, so checked again.
  await guard.check("tok-1", "r", ok);
  await assert.rejects(guard.check("tok-3", "r", ok), AuthLiteTokenSetError);
  assert.equal(ran, 1);
});
