// Adversarial review, round 5: the store is down and the upstream throttles
// (the one often causes the other: with the store down, every session's
// in-process entry is rechecked upstream once a second, one validation per
// token per second per instance). A session this instance validated a moment
// ago, whose access token is still valid, got 503 on every request once its
// recheck was due: starved by the outage it did nothing about, though the
// process knew its token valid. Now it is served from the process's memory
// until its entry's own lifetime ends (ttlSeconds, never past the token's
// exp), and only when the store could not answer: a store that answers
// "no entry" (a revoke deleted it) is believed, and a token revoked through
// this instance is refused at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient, type KVStore, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { createGateway } from "../src/gateway/mod.ts";
import { CookieJar, SERVICE_KEY, SESSION_SECRET } from "./_gateway_fixture.ts";
import { serve } from "./_serve.ts";

const ORIGIN = "http://gw.test";
const VALIDATE = "/api/user/me/auth/validate/token";

async function fixture() {
  let offset = 0;
  const now = () => Date.now() + offset;
  const emu = createEmulator({ control: true, accessTokenTtlSeconds: 3600 });
  const server = await serve(emu.fetch);
  const inner = memoryStore({ now });
  // "down": every call fails; "empty": the store answers, and has nothing.
  const state = { mode: "up" as "up" | "down" | "empty" };
  const down = () => Promise.reject(new Error("Connection refused"));
  const store: KVStore = {
    get: (k) =>
      state.mode === "down"
        ? down()
        : state.mode === "empty"
        ? Promise.resolve(null)
        : inner.get(k),
    getMany: (ks) =>
      state.mode === "down"
        ? down()
        : state.mode === "empty"
        ? Promise.resolve(ks.map(() => null))
        : inner.getMany!(ks),
    put: (k, v, o) => state.mode === "down" ? down() : inner.put(k, v, o),
    delete: (k) => state.mode === "down" ? down() : inner.delete(k),
    putIfAbsent: (k, v, o) => state.mode === "down" ? down() : inner.putIfAbsent!(k, v, o),
    consistency: "strong",
  };
  const client = new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: server.url,
    widgetUrl: server.url,
    tokenCache: store,
    tokenCacheOptions: { ttlSeconds: 60, storeBreaker: false },
    retries: 0,
    now,
  });
  const app = createGateway({
    client,
    sessionSecret: SESSION_SECRET,
    serviceKey: SERVICE_KEY,
    requireLoginStart: false,
    logger: false,
  });
  const jar = new CookieJar();
  const code = emu.mintCode({ email: "double-outage@example.com" });
  const cb = await app.request(`${ORIGIN}/auth/callback?code=${encodeURIComponent(code)}`);
  assert.equal(cb.status, 302);
  jar.take(cb);
  const me = () => app.request(`${ORIGIN}/auth/me`, { headers: { cookie: jar.header() } });
  const first = await me(); // validated upstream: kept in the store and in process
  assert.equal(first.status, 200);
  jar.take(first);
  return {
    app,
    emu,
    state,
    jar,
    me,
    advance: (ms: number) => offset += ms,
    close: () => server.close(),
  };
}

test("store down and validations throttled: a session validated here keeps working from memory within its entry's life, then 503", async () => {
  const fx = await fixture();
  try {
    fx.state.mode = "down";
    fx.emu.inject({ kind: "status", status: 429, retry_after: 2, count: 1000, path: VALIDATE });
    fx.advance(1500); // its recheck is due
    const during = await fx.me();
    const body = await during.text();
    assert.equal(during.status, 200, body);
    assert.deepEqual(during.headers.getSetCookie().filter((l) => /max-age=0/i.test(l)), []);
    fx.advance(30_000);
    assert.equal((await fx.me()).status, 200, "still, within the entry's 60 s");

    fx.advance(31_000); // past the entry's lifetime (ttlSeconds 60)
    const late = await fx.me();
    await late.body?.cancel();
    assert.equal(late.status, 503, "not beyond the entry's life");
    assert.deepEqual(late.headers.getSetCookie().filter((l) => /max-age=0/i.test(l)), []);
  } finally {
    await fx.close();
  }
});

test("store up but without the entry (a revoke elsewhere deleted it), validations throttled: not served from memory", async () => {
  const fx = await fixture();
  try {
    fx.state.mode = "empty";
    fx.emu.inject({ kind: "status", status: 429, retry_after: 2, count: 1000, path: VALIDATE });
    fx.advance(1500);
    const res = await fx.me();
    await res.body?.cancel();
    assert.equal(res.status, 503);
  } finally {
    await fx.close();
  }
});

test("a token logged out through this instance is not served from memory in the double outage", async () => {
  const fx = await fixture();
  try {
    const cookie = fx.jar.header();
    const out = await fx.app.request(`${ORIGIN}/auth/logout`, {
      method: "POST",
      headers: { cookie, "sec-fetch-site": "same-origin", origin: ORIGIN },
    });
    assert.equal(out.status, 200);
    await out.body?.cancel();
    fx.state.mode = "down";
    fx.emu.inject({ kind: "status", status: 429, retry_after: 2, count: 1000, path: VALIDATE });
    fx.advance(1500);
    const res = await fx.app.request(`${ORIGIN}/auth/me`, { headers: { cookie } });
    await res.body?.cancel();
    assert.notEqual(res.status, 200);
  } finally {
    await fx.close();
  }
});
