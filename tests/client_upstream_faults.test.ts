// Issue 17, the upstream side, over real HTTP against the emulator: only the
// upstream's word on a refresh token logs a user out; a 429 or 503 is
// ERR_UNAVAILABLE and the refresh token still works after; an open breaker
// fails fast (counted at the emulator); the queue of upstream calls is bounded
// and a caller that has gone leaves it.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuthLiteEvent, AuthLiteUnavailableError } from "../mod.ts";
import { rejectsWith, startEmulator } from "./_client_helpers.ts";
import type { EmulatorEnv } from "./_client_helpers.ts";

const VALIDATE = "/api/user/me/auth/validate/token";
const REFRESH = "/api/user/me/access/token/";

async function withEmulator(run: (env: EmulatorEnv) => Promise<void>): Promise<void> {
  const env = await startEmulator();
  try {
    await run(env);
  } finally {
    await env.close();
  }
}

/** A session whose access token the emulator holds expired, its refresh token good. */
function expiredSession(env: EmulatorEnv, email = "ada@example.com") {
  const s = env.emu.session({ email });
  env.emu.advanceClock(3601);
  return s;
}

const calls = (env: EmulatorEnv, path: string): number => env.emu.requests().byPath[path] ?? 0;

for (
  const [name, fault, retryAfter] of [
    ["429 with Retry-After: 7", { status: 429, retry_after: 7 }, 7],
    ["429 without Retry-After", { status: 429 }, 5],
    ["503 (after the retries)", { status: 503, count: 3 }, 5],
    ["503 with Retry-After: 9", { status: 503, retry_after: 9 }, 9],
  ] as const
) {
  test(`validateTokenSet(): a refresh answered ${name} is ERR_UNAVAILABLE, and the refresh token still works after`, () =>
    withEmulator(async (env) => {
      const client = env.makeClient({ retries: fault.status === 503 ? 2 : 0 });
      const s = expiredSession(env);
      env.emu.inject({ kind: "status", path: REFRESH, ...fault });
      const err = await rejectsWith(
        client.validateTokenSet(s.accessToken, s.refreshToken),
        "ERR_UNAVAILABLE",
      ) as AuthLiteUnavailableError;
      assert.equal(err.dependency, "upstream");
      assert.equal(err.retryAfterSeconds, retryAfter);
      // Not remembered as a rejection: the same pair is refreshed at once.
      const check = await client.validateTokenSet(s.accessToken, s.refreshToken);
      assert.equal(check.state, false);
      assert.notEqual(check.refresh, s.refreshToken);
    }));
}

test("validateTokenSet(): a refresh answered 401 is still a logout (ERR_INVALID_TOKEN_SET)", () =>
  withEmulator(async (env) => {
    const s = expiredSession(env);
    env.emu.inject({ kind: "status", status: 401, path: REFRESH });
    await rejectsWith(
      env.client.validateTokenSet(s.accessToken, s.refreshToken),
      "ERR_INVALID_TOKEN_SET",
    );
  }));

test("validateTokenSet(): a dropped connection on refresh is ERR_UNAVAILABLE, not a logout", () =>
  withEmulator(async (env) => {
    const client = env.makeClient({ retries: 0 });
    const s = expiredSession(env);
    env.emu.inject({ kind: "reset", path: REFRESH });
    await rejectsWith(client.validateTokenSet(s.accessToken, s.refreshToken), "ERR_UNAVAILABLE");
    assert.equal((await client.validateTokenSet(s.accessToken, s.refreshToken)).state, false);
  }));

test("the breaker opens after `failures` outages: calls fail fast without reaching the emulator, then a probe closes it", () =>
  withEmulator(async (env) => {
    let now = Date.now();
    const events: AuthLiteEvent[] = [];
    const client = env.makeClient({
      retries: 0,
      breaker: { failures: 3, openSeconds: 30 },
      now: () => now,
      observe: (e) => events.push(e),
    });
    const s = env.emu.session({ email: "ada@example.com" });
    env.emu.inject({ kind: "status", status: 503, path: VALIDATE, count: 3 });
    for (let i = 0; i < 3; i++) {
      await rejectsWith(client.validateTokenSet(s.accessToken, s.refreshToken), "ERR_UNAVAILABLE");
    }
    assert.equal(calls(env, VALIDATE), 3);
    // Open: 20 checks and a direct call, none sent.
    for (let i = 0; i < 20; i++) {
      const err = await rejectsWith(
        client.validateTokenSet(s.accessToken, s.refreshToken),
        "ERR_UNAVAILABLE",
      ) as AuthLiteUnavailableError;
      assert.match(err.message, /Circuit breaker open/);
      assert.equal(err.retryAfterSeconds, 30);
    }
    await rejectsWith(client.getUserData(s.accessToken), "ERR_UNAVAILABLE");
    assert.equal(env.emu.requests().total, 3, JSON.stringify(env.emu.requests().byPath));
    // After openSeconds (the injected clock): one probe goes, succeeds, and closes it.
    now += 31_000;
    const check = await client.validateTokenSet(s.accessToken, s.refreshToken);
    assert.equal(check.state, true);
    assert.equal(calls(env, VALIDATE), 4);
    const breaker = events.filter((e) => e.type === "breaker").map((e) => e.state);
    assert.deepEqual(breaker, ["open", "half-open", "closed"]);
    const outcomes = events.filter((e) => e.type === "upstream").map((e) => e.outcome);
    assert.deepEqual(outcomes.slice(0, 3), [503, 503, 503]);
    assert.ok(outcomes.includes("rejected-open"));
    for (const e of events) assert.ok(!JSON.stringify(e).includes(s.accessToken));
  }));

test("a failed probe opens the breaker again", () =>
  withEmulator(async (env) => {
    let now = Date.now();
    const client = env.makeClient({
      retries: 0,
      breaker: { failures: 1, openSeconds: 10 },
      now: () => now,
    });
    const s = env.emu.session({ email: "ada@example.com" });
    env.emu.inject({ kind: "status", status: 502, path: VALIDATE, count: 2 });
    await rejectsWith(client.validateAccessToken(s.accessToken), "ERR_HTTP");
    await rejectsWith(client.validateAccessToken(s.accessToken), "ERR_UNAVAILABLE");
    now += 11_000;
    await rejectsWith(client.validateAccessToken(s.accessToken), "ERR_HTTP");
    await rejectsWith(client.validateAccessToken(s.accessToken), "ERR_UNAVAILABLE");
    assert.equal(calls(env, VALIDATE), 2);
  }));

test("4xx answers do not open the breaker (the upstream is up)", () =>
  withEmulator(async (env) => {
    const client = env.makeClient({ retries: 0, breaker: { failures: 2 } });
    for (let i = 0; i < 5; i++) assert.equal(await client.validateAccessToken(`bogus-${i}`), false);
    const s = env.emu.session({ email: "ada@example.com" });
    assert.equal(await client.validateAccessToken(s.accessToken), true);
    assert.equal(calls(env, VALIDATE), 6);
  }));

test("a full queue refuses at once with ERR_UNAVAILABLE (capacity); only the calls admitted reach the emulator", () =>
  withEmulator(async (env) => {
    const client = env.makeClient({ retries: 0, maxUpstreamInFlight: 1, maxUpstreamQueue: 1 });
    const sessions = ["a", "b", "c"].map((n) => env.emu.session({ email: `${n}@example.com` }));
    env.emu.inject({ kind: "latency", latency_ms: 1500, path: VALIDATE });
    let firstDone = false;
    const first = client.validateTokenSet(sessions[0]!.accessToken, sessions[0]!.refreshToken)
      .finally(() => (firstDone = true));
    const second = client.validateTokenSet(sessions[1]!.accessToken, sessions[1]!.refreshToken);
    const err = await rejectsWith(
      client.validateTokenSet(sessions[2]!.accessToken, sessions[2]!.refreshToken),
      "ERR_UNAVAILABLE",
    ) as AuthLiteUnavailableError;
    assert.equal(err.dependency, "capacity");
    assert.equal(firstDone, false, "refused while the first call still held the slot");
    assert.equal((await first).state, true);
    assert.equal((await second).state, true);
    assert.equal(calls(env, VALIDATE), 2);
  }));

test("a queued check whose caller has gone leaves the queue and is never sent", () =>
  withEmulator(async (env) => {
    const client = env.makeClient({ retries: 0, maxUpstreamInFlight: 1, maxUpstreamQueue: 8 });
    const [a, b, c] = ["a", "b", "c"].map((n) => env.emu.session({ email: `${n}@example.com` }));
    env.emu.inject({ kind: "latency", latency_ms: 1000, path: VALIDATE });
    const first = client.validateTokenSet(a!.accessToken, a!.refreshToken);
    const gone = new AbortController();
    const abandoned = client.validateTokenSet(b!.accessToken, b!.refreshToken, {
      signal: gone.signal,
    });
    const kept = client.validateTokenSet(c!.accessToken, c!.refreshToken, {
      signal: new AbortController().signal,
    });
    gone.abort();
    const err = await rejectsWith(abandoned, "ERR_UNAVAILABLE") as AuthLiteUnavailableError;
    assert.equal(err.dependency, "capacity");
    assert.equal((await first).state, true);
    assert.equal((await kept).state, true);
    assert.equal(calls(env, VALIDATE), 2, "the abandoned check was never sent");
    // A signal already aborted: refused before any work.
    await rejectsWith(
      client.validateTokenSet(b!.accessToken, b!.refreshToken, { signal: gone.signal }),
      "ERR_UNAVAILABLE",
    );
    assert.equal(calls(env, VALIDATE), 2);
  }));

test("a check shared by two callers stays queued while one of them is still there", () =>
  withEmulator(async (env) => {
    const client = env.makeClient({ retries: 0, maxUpstreamInFlight: 1, maxUpstreamQueue: 8 });
    const [a, b] = ["a", "b"].map((n) => env.emu.session({ email: `${n}@example.com` }));
    env.emu.inject({ kind: "latency", latency_ms: 1000, path: VALIDATE });
    const first = client.validateTokenSet(a!.accessToken, a!.refreshToken);
    const gone = new AbortController();
    const leaving = client.validateTokenSet(b!.accessToken, b!.refreshToken, {
      signal: gone.signal,
    });
    leaving.catch(() => {});
    const staying = client.validateTokenSet(b!.accessToken, b!.refreshToken, {
      signal: new AbortController().signal,
    });
    gone.abort();
    assert.equal((await first).state, true);
    assert.equal((await staying).state, true);
    assert.equal(calls(env, VALIDATE), 2);
  }));
