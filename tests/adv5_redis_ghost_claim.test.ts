// Adversarial review, round 5, with real processes: the Bun gateway
// (`src/runtime/bun.ts`, REDIS_URL) in front of the emulator, and a real
// redis-server that is stopped and started. While Redis is down, a session
// that needs a refresh is deferred (503, cookies kept): its refresh claim
// (`SET NX PX 10000`) cannot be written. But Bun's Redis client, by default,
// queues commands sent while it is disconnected and sends them once it has
// reconnected: the claim the cache gave up on lands when Redis is back, and
// holds that session's refresh for its full 10 s. Every request of the
// session then waits `claimWaitMs` (2 s) and answers 503 "a refresh of this
// session is in progress", though none is, anywhere (one browser, one request
// at a time). docs/cache.md promises the refresh again "about 1 s after it is
// back". Counted, not timed: no reply may say a refresh is in progress, and
// the session refreshes once Redis answers (one redemption, none twice).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  gatewayEnv,
  type GatewayProcess,
  type Jar,
  PeerClient,
  RedisProcess,
  type ServedEmulator,
  serveEmulator,
  signIn,
  startGateway,
} from "./_weather.ts";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test("a refresh claim sent while Redis is down does not land when it is back and hold the session's refresh (Bun gateway, real redis-server)", async () => {
  let redis: RedisProcess | undefined;
  let emu: ServedEmulator | undefined;
  let gw: GatewayProcess | undefined;
  const peer = new PeerClient("127.0.0.1");
  try {
    redis = await RedisProcess.start();
    emu = await serveEmulator(2);
    gw = await startGateway(gatewayEnv(emu.url, { REDIS_URL: redis.url }));
    const signed = await signIn(peer, gw.url, emu.emulator, "ghost-claim@example.com");
    assert.ok("jar" in signed, JSON.stringify(signed));
    const jar: Jar = signed.jar;
    const me = () => peer.request(`${gw!.url}/auth/me`, { headers: { cookie: jar.header() } });
    const first = await me();
    assert.equal(first.status, 200, first.body);
    jar.take(first.setCookies);

    // The access token expires (2 s lifetime: waited for, not asserted on).
    await sleep(3000);
    await redis.halt();
    const during = await me();
    assert.equal(during.status, 503, during.body);
    assert.deepEqual(jar.take(during.setCookies), [], "no cookie cleared");
    const presentedBefore = (await emu.control("GET", "/refreshes")).presented as number;

    await redis.resume();
    // Until the session is refreshed: the store's breaker and the client's
    // reconnection take a moment (bounded generously, for progress only).
    const replies: { status: number; body: string }[] = [];
    let refreshed = false;
    for (let i = 0; i < 60 && !refreshed; i++) {
      const r = await me();
      replies.push({ status: r.status, body: r.body.slice(0, 200) });
      assert.deepEqual(jar.take(r.setCookies), [], "no cookie cleared");
      if (r.status === 200) refreshed = true;
      else {
        assert.equal(r.status, 503, r.body);
        await sleep(250);
      }
    }
    assert.ok(refreshed, `refreshed once Redis was back: ${JSON.stringify(replies)}`);
    const inProgress = replies.filter((r) => r.body.includes("in progress"));
    assert.deepEqual(
      inProgress,
      [],
      "no reply says a refresh is in progress: none was (a claim sent during the outage landed)",
    );
    const after = await emu.control("GET", "/refreshes") as {
      presented: number;
      reused: number;
    };
    assert.equal(after.presented - presentedBefore, 1, "one redemption");
    assert.equal(after.reused, 0, "no refresh token presented twice");
  } finally {
    peer.close();
    await gw?.stop();
    await redis?.halt();
    await emu?.close();
  }
});
