// Adversarial review, round 5: a store that answers slowly rather than not at
// all. The refresh claim (`putIfAbsent`, Redis `SET NX PX`) is written, but
// its answer comes after the cache's `storeTimeoutMs`: the cache takes the
// claim as failed and tries again, and the store now answers "taken" (by this
// very caller's first attempt). The caller must recognise its own claim (the
// claim's value is its own) and go on with the refresh: before, it took the
// claim for another caller's, waited `claimWaitMs` for a pair that never
// came, and answered 503; so did every request of that session until the
// ghost claim expired (10 s), each after a 2 s wait.
// Counted at the emulator (refreshes presented), not timed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient, type KVStore, memoryStore } from "../mod.ts";
import type { AuthLiteEvent } from "../src/_events.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { createEmulator } from "../src/emulator/mod.ts";
import { createGateway } from "../src/gateway/mod.ts";
import { CookieJar, SERVICE_KEY, SESSION_SECRET } from "./_gateway_fixture.ts";
import { serve } from "./_serve.ts";

const ORIGIN = "http://gw.test";
const REFRESH = "/api/user/me/access/token/";

test("a refresh claim written but answered after the store's timeout is this caller's own: the session refreshes (200, one redemption), not 503", async () => {
  let offset = 0;
  const now = () => Date.now() + offset;
  const emu = createEmulator({ control: true });
  const server = await serve(emu.fetch);
  const inner = memoryStore({ now });
  // The next claim's answer is held until the cache has given up on it.
  let holdNextClaim = false;
  let release: (() => void) | undefined;
  const store: KVStore = {
    get: (k) => inner.get(k),
    getMany: (ks) => inner.getMany!(ks),
    put: (k, v, o) => inner.put(k, v, o),
    delete: (k) => inner.delete(k),
    putIfAbsent: async (k, v, o) => {
      const taken = await inner.putIfAbsent!(k, v, o); // written at once
      if (holdNextClaim) {
        holdNextClaim = false;
        await new Promise<void>((resolve) => release = resolve);
      }
      return taken;
    },
    consistency: "strong",
  };
  const observe = (e: AuthLiteEvent) => {
    if (e.type === "store" && e.operation === "putIfAbsent" && e.outcome === "timeout") {
      release?.(); // the answer arrives, late
    }
  };
  const client = new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: server.url,
    widgetUrl: server.url,
    tokenCache: store,
    tokenCacheOptions: { storeTimeoutMs: 50 },
    retries: 0,
    now,
    observe,
  });
  const app = createGateway({
    client,
    sessionSecret: SESSION_SECRET,
    serviceKey: SERVICE_KEY,
    requireLoginStart: false,
    logger: false,
  });
  try {
    const jar = new CookieJar();
    const code = emu.mintCode({ email: "slow-claim@example.com" });
    const cb = await app.request(`${ORIGIN}/auth/callback?code=${encodeURIComponent(code)}`);
    assert.equal(cb.status, 302);
    jar.take(cb);
    offset += 3600_000;
    emu.advanceClock(3600);

    holdNextClaim = true;
    const before = emu.requests().byPath[REFRESH] ?? 0;
    const res = await app.request(`${ORIGIN}/auth/me`, { headers: { cookie: jar.header() } });
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.ok(jar.take(res).includes("authlite_refresh"), "the cookies rotated");
    assert.equal((emu.requests().byPath[REFRESH] ?? 0) - before, 1, "one redemption");

    const next = await app.request(`${ORIGIN}/auth/me`, { headers: { cookie: jar.header() } });
    assert.equal(next.status, 200);
    await next.body?.cancel();
    const seen = await (await fetch(`${server.url}/__emulator/refreshes`)).json() as {
      reused: number;
    };
    assert.equal(seen.reused, 0, "no refresh token presented twice");
  } finally {
    release?.();
    await server.close();
  }
});
