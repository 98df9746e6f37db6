/**
 * The flood test of issue 17: a flood of bogus sessions from one address at every route that
 * checks a session (`/auth/me`, `/auth/logout`, `/admin/*`, `/rpc/validateTokenSet`), with
 * 80 ms of upstream latency, against one Bun gateway process configured as by default, while
 * a real user signed in from another address reads `/auth/me` (see `_weather_flood.ts`).
 *
 * A flood must cost the attacker, not the users: its upstream calls are a small fraction of
 * it, the real user is answered (200, never rate-limited) while the flood is still going, and
 * the gateway's memory stays bounded. Latencies are printed (one JSON line), never asserted:
 * "while the flood is still going" is a count of flood requests, not a clock.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type FloodReport, runFloodScenario } from "./_weather_flood.ts";

const FLOOD = {
  requests: 20_000,
  concurrency: 64,
  latencyMs: 80,
  userRequests: 20,
  requestTimeoutMs: 20_000,
};
/** Upstream calls per flood request at most: "a small fraction of the flood". */
const MAX_UPSTREAM_PER_REQUEST = 0.1;
/** RSS growth of the gateway during the flood at most (MiB). */
const MAX_RSS_GROWTH_MIB = 40;

describe("flood: bogus sessions from one address at every session-checking route, upstream latency 80 ms", () => {
  let report: FloodReport | undefined;
  const shown = () => JSON.stringify(report);
  const ran = (): FloodReport => {
    assert.ok(report !== undefined, "the flood did not take place (see the first case)");
    return report;
  };

  test("the flood reaches every route (each answers every request it was sent)", {
    timeout: 240_000,
  }, async () => {
    report = await runFloodScenario(FLOOD);
    console.log(`flood test: ${shown()}`);
    let sent = 0;
    for (const [route, statuses] of Object.entries(report.flood)) {
      assert.equal(statuses["0"], undefined, `${route}: failed connections: ${shown()}`);
      sent += Object.values(statuses).reduce((a, b) => a + b, 0);
    }
    assert.equal(Object.keys(report.flood).length, 5, shown());
    assert.equal(sent, FLOOD.requests);
  });

  test(`its upstream calls are a small fraction of it (at most ${MAX_UPSTREAM_PER_REQUEST} per request)`, () => {
    const r = ran();
    assert.ok(
      r.upstreamPerRequest <= MAX_UPSTREAM_PER_REQUEST,
      `${r.upstreamCalls} upstream calls for ${FLOOD.requests} flood requests; flood: ${
        JSON.stringify(r.flood)
      }`,
    );
  });

  test("the real user's /auth/me is answered 200 while the flood goes on, never rate-limited", () => {
    const r = ran();
    assert.deepEqual(r.unloaded.statuses, { "200": FLOOD.userRequests }, shown());
    assert.equal(
      r.loaded.answered,
      FLOOD.userRequests,
      `the flood ended before the real user's ${FLOOD.userRequests} requests were answered: ${shown()}`,
    );
    assert.deepEqual(r.loaded.statuses, { "200": FLOOD.userRequests }, shown());
  });

  test(`the gateway's memory grows by less than ${MAX_RSS_GROWTH_MIB} MiB`, () => {
    const r = ran();
    const { before, peak } = r.rssMiB;
    assert.ok(before !== null && peak !== null, `RSS unknown: ${shown()}`);
    assert.ok(peak - before < MAX_RSS_GROWTH_MIB, `RSS (MiB): ${JSON.stringify(r.rssMiB)}`);
  });
});
