// Adversarial: the rate limiter's default key is the peer's whole address.
// An IPv6 client holds a /64 (2^64 addresses, often a /56 or /48): each new
// source address is a new bucket, so one client is never limited. The usual
// practice is to count IPv6 peers by their /64 (or wider) prefix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { rateLimit } from "../src/gateway/_rate_limit.ts";
import { onGatewayError } from "../src/gateway/errors.ts";

test("adv: rateLimit() default key: one IPv6 /64 is one client", async () => {
  const t = 0;
  const app = new Hono<{ Bindings: { remoteAddr: string } }>();
  app.onError(onGatewayError([]));
  app.use("*", rateLimit({ limit: 2, windowSeconds: 60, now: () => t }));
  app.get("/", (c) => c.text("ok"));
  const hit = async (remoteAddr: string) => (await app.request("/", {}, { remoteAddr })).status;
  const statuses: number[] = [];
  // One host, rotating its interface identifier (privacy addresses do this anyway).
  for (let i = 1; i <= 10; i++) statuses.push(await hit(`2001:db8:1:2::${i.toString(16)}`));
  assert.equal(
    statuses.filter((s) => s === 200).length,
    2,
    `requests let through from one /64 with a limit of 2: ${statuses.join(",")}`,
  );
});

test("clientOf(): IPv4 as is, IPv6 by its /64, mapped IPv4 as IPv4", async () => {
  const { clientOf } = await import("../src/gateway/_rate_limit.ts");
  assert.equal(clientOf("203.0.113.7"), "203.0.113.7");
  assert.equal(clientOf("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  assert.equal(clientOf("2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  assert.equal(clientOf("[2001:db8:1:2::5]"), "2001:db8:1:2::/64");
  assert.equal(clientOf("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(clientOf("2001:db8:1:3::1"), "2001:db8:1:3::/64");
  assert.equal(clientOf("::1"), "0:0:0:0::/64");
  assert.equal(clientOf("::ffff:198.51.100.2"), "198.51.100.2");
  assert.equal(clientOf("fe80::1%eth0"), "fe80:0:0:0::/64");
});
