import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { Redis } from "ioredis";
import { redisStore } from "../src/cache/redis_store.ts";
import type { KVStore } from "../src/cache/store.ts";
import { TokenSetCache } from "../src/cache/token_set_cache.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { checkCacheOverStore, checkStoreBasics } from "./_store_suite.ts";
import { startRedis } from "./_redis_server.ts";
import { startHarness } from "./_cache_harness.ts";
import { checkSet, checkToken } from "./_cache_calls.ts";

// A real redis-server (Debian package) on a free loopback port. If it is not
// installed this suite fails, as it must in CI (.ci/run installs it).

const makeClient = (url: string) => createClient({ url });
type Client = ReturnType<typeof makeClient>;

async function withRedis(fn: (client: Client) => Promise<void>): Promise<void> {
  const server = await startRedis();
  const client = makeClient(server.url);
  client.on("error", () => {});
  try {
    await client.connect();
    await fn(client);
  } finally {
    await client.close().catch(() => {});
    await server.close();
  }
}

/** Two processes over one store: 100 concurrent callers of an expired session share one refresh. */
async function checkOneRefreshFor100(store: KVStore): Promise<void> {
  const h = await startHarness({ accessTokenTtlSeconds: 120 });
  try {
    const a = new TokenSetCache({ store, secretKey: DEMO_ORG.secretKey, now: h.now });
    const b = new TokenSetCache({ store, secretKey: DEMO_ORG.secretKey, now: h.now });
    const s = h.session();
    h.advance(300);
    h.emulator.resetRequests();
    const results = await Promise.all(
      Array.from(
        { length: 100 },
        () => checkSet(a, s.accessToken, s.refreshToken, h.upstream),
      ),
    );
    assert.deepEqual(h.calls(), { validate: 1, refresh: 1, total: 2 });
    for (const r of results) assert.deepEqual(r, results[0]);
    // Another process with the old pair gets the same new pair from the grace entry in Redis.
    const fromB = await checkSet(b, s.accessToken, s.refreshToken, h.upstream);
    assert.deepEqual(fromB, results[0]);
    // And the new access token is valid there without an upstream call.
    const next = results[0];
    assert.ok(next !== undefined);
    assert.equal(await checkToken(b, next.access, h.upstream), true);
    assert.deepEqual(h.calls(), { validate: 1, refresh: 1, total: 2 });
  } finally {
    await h.close();
  }
}

describe("redisStore() against redis-server", () => {
  test("redisStore() gets, puts, overwrites and deletes with node-redis", async () => {
    await withRedis(async (client) => {
      await checkStoreBasics(redisStore(client));
    });
  });

  test("redisStore() sets a TTL in milliseconds that Redis enforces", async () => {
    await withRedis(async (client) => {
      const store = redisStore(client);
      await store.put("ttl-key", "v", { ttlSeconds: 2.5 });
      const pttl = Number(await client.sendCommand(["PTTL", "ttl-key"]));
      assert.ok(pttl > 0 && pttl <= 2500, `PTTL ${pttl}`);
    });
  });

  test("redisStore() serves a token-set cache shared by two processes, with nothing in clear", async () => {
    await withRedis(async (client) => {
      const store = redisStore(client);
      await checkCacheOverStore(store, async () => {
        const keys = (await client.sendCommand(["KEYS", "*"])) as string[];
        return Promise.all(
          keys.map(async (k) =>
            [k, String(await client.sendCommand(["GET", k]))] as [string, string]
          ),
        );
      });
    });
  });

  test("validateTokenSet() over Redis refreshes once for 100 concurrent callers against the emulator", async () => {
    await withRedis(async (client) => {
      await checkOneRefreshFor100(redisStore(client));
    });
  });

  test("validateAccessToken() degrades to upstream calls when Redis goes away", async () => {
    const server = await startRedis();
    const client = createClient({
      url: server.url,
      socket: { reconnectStrategy: false },
      disableOfflineQueue: true,
    });
    client.on("error", () => {});
    await client.connect();
    const events: string[] = [];
    const cache = new TokenSetCache({
      store: redisStore(client),
      secretKey: "s",
      memoryLayer: false,
      storeTimeoutMs: 200,
      onError: (e) => events.push(`${e.operation}:${e.reason}`),
    });
    let calls = 0;
    const upstream = {
      validate: () => Promise.resolve(++calls > 0),
      refresh: () => Promise.reject(new Error("Not used")),
    };
    await checkToken(cache, "t", upstream);
    await server.close();
    assert.equal(await checkToken(cache, "t", upstream), true);
    assert.equal(calls, 2);
    assert.ok(events.some((e) => e.startsWith("get:")), events.join(","));
    await client.close().catch(() => {});
    client.destroy();
  });
});

// Bun has a Redis client of its own: the same store over it.
// deno-lint-ignore no-explicit-any
const BunRedis = (globalThis as any).Bun?.RedisClient as
  | (new (url: string) => { send(c: string, a: string[]): Promise<unknown>; close(): void })
  | undefined;

describe("redisStore() with Bun's RedisClient", () => {
  test("redisStore() works with Bun.RedisClient", {
    skip: BunRedis === undefined ? "Bun.RedisClient exists only under Bun" : false,
  }, async () => {
    if (BunRedis === undefined) return;
    const server = await startRedis();
    const client = new BunRedis(server.url);
    try {
      await checkStoreBasics(redisStore(client));
      await checkCacheOverStore(redisStore(client));
    } finally {
      client.close();
      await server.close();
    }
  });
});

// ioredis (npm "ioredis", a devDependency) against the same redis-server: the same suite.
async function withIoRedis(fn: (client: Redis) => Promise<void>): Promise<void> {
  const server = await startRedis();
  const client = new Redis(server.port, "127.0.0.1", {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    await fn(client);
  } finally {
    await client.quit().catch(() => client.disconnect());
    await server.close();
  }
}

describe("redisStore() with ioredis against redis-server", () => {
  test("redisStore() gets, puts, overwrites and deletes with ioredis", async () => {
    await withIoRedis(async (client) => {
      await checkStoreBasics(redisStore(client));
    });
  });

  test("redisStore() with ioredis sets a TTL in milliseconds that Redis enforces", async () => {
    await withIoRedis(async (client) => {
      await redisStore(client).put("ttl-key", "v", { ttlSeconds: 2.5 });
      const pttl = await client.pttl("ttl-key");
      assert.ok(pttl > 0 && pttl <= 2500, `PTTL ${pttl}`);
    });
  });

  test("redisStore() with ioredis serves a token-set cache shared by two processes, with nothing in clear", async () => {
    await withIoRedis(async (client) => {
      await checkCacheOverStore(redisStore(client), async () => {
        const keys = await client.keys("*");
        return Promise.all(
          keys.map(async (k) => [k, String(await client.get(k))] as [string, string]),
        );
      });
    });
  });

  test("validateTokenSet() over ioredis refreshes once for 100 concurrent callers against the emulator", async () => {
    await withIoRedis(async (client) => {
      await checkOneRefreshFor100(redisStore(client));
    });
  });
});
