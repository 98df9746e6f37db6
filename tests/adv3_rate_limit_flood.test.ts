// Adversarial: authRoutes()' built-in rate limit (src/hono/_rate_limit.ts)
// keeps its windows in one BoundedMap in the order they started, so a flood of
// requests from new keys pushes out the window of a client that is blocked: it
// is let through again at once, its window started afresh. The gateway's own
// limiter keeps blocked keys apart so that "a flood of new keys cannot unblock
// a blocked one"; the hono one did not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { rateLimiter } from "../src/hono/_rate_limit.ts";
import { AuthLiteHonoError } from "../src/hono/errors.ts";

function app(maxKeys: number) {
  const t = 1_800_000_000_000;
  const hono = new Hono();
  hono.onError((err) =>
    err instanceof AuthLiteHonoError ? err.getResponse() : new Response("bug", { status: 500 })
  );
  hono.use(
    "*",
    rateLimiter({
      limit: 3,
      windowSeconds: 60,
      maxKeys,
      now: () => t,
      key: (c) => c.req.header("x-peer"),
    }),
  );
  hono.get("/", (c) => c.text("ok"));
  return async (peer: string) => (await hono.request("/", { headers: { "x-peer": peer } })).status;
}

test("adv3: a flood of new keys does not unblock a blocked client of authRoutes()' rate limit", async () => {
  const hit = app(100);
  const attacker: number[] = [];
  for (let i = 0; i < 5; i++) attacker.push(await hit("attacker"));
  assert.deepEqual(attacker, [200, 200, 200, 429, 429]);
  // One request each from more new keys than the limiter tracks (cheap: a /48 of IPv6 holds 65 536 /64s).
  for (let i = 0; i < 150; i++) assert.equal(await hit(`flood-${i}`), 200);
  assert.equal(await hit("attacker"), 429, "the blocked client is still blocked within its window");
});

test("authRoutes()' rate limit stays bounded in keys under a flood, and still limits the flood's keys", async () => {
  const hit = app(10);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 50; i++) await hit(`k-${i}`);
  }
  // The newest key is tracked: its fourth request in the window is refused.
  assert.deepEqual([await hit("k-49"), await hit("k-49"), await hit("k-49")], [200, 200, 429]);
});
