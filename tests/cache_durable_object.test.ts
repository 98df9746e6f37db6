/**
 * durableObjectStore() and AuthLiteStoreObject in workerd (Miniflare): the
 * shared store suite runs inside the Worker against a real Durable Object
 * binding, and claims race from many request contexts in two isolates.
 *
 * @module
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as esbuild from "esbuild";
import { durableObjectStore } from "../src/cache/durable_object_store.ts";
import { AuthLiteStoreObject, type DurableObjectStorageLike } from "../src/cache/durable_object.ts";
import { AuthLiteError } from "../src/errors.ts";

// Loaded by a computed specifier: Miniflare's types bring the Workers globals.
interface MiniflareLike {
  dispatchFetch(url: string, init?: RequestInit): Promise<Response>;
  getWorker(name: string): Promise<{ fetch(url: string, init?: RequestInit): Promise<Response> }>;
  dispose(): Promise<void>;
}
const MINIFLARE = "miniflare";
const { Miniflare } = (await import(MINIFLARE)) as {
  Miniflare: new (options: Record<string, unknown>) => MiniflareLike;
};

async function bundle(): Promise<string> {
  const out = await esbuild.build({
    entryPoints: [new URL("./fixtures/do_store_worker.ts", import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["node:*"],
    write: false,
    logLevel: "silent",
  });
  return out.outputFiles[0]?.text ?? "";
}

/** Two Workers (two isolates) of the fixture, both bound to the objects of the first. */
async function start(): Promise<{ mf: MiniflareLike; a: Caller; b: Caller }> {
  const script = await bundle();
  const worker = (name: string) => ({
    name,
    modules: true,
    script,
    compatibilityDate: "2025-09-01",
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: { STORE: { className: "AuthLiteStoreObject", scriptName: "a" } },
  });
  const mf = new Miniflare({ workers: [worker("a"), worker("b")] });
  const caller = async (name: string): Promise<Caller> => {
    const w = await mf.getWorker(name);
    return async (path, body = {}) => {
      const res = await w.fetch(`http://${name}.test${path}`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      const value = JSON.parse(text);
      assert.notEqual(value.ok, false, value.error);
      return value;
    };
  };
  return { mf, a: await caller("a"), b: await caller("b") };
}

// deno-lint-ignore no-explicit-any
type Caller = (path: string, body?: Record<string, unknown>) => Promise<any>;

describe("durableObjectStore() inside workerd", () => {
  test("durableObjectStore() passes the store suite (with its putIfAbsent() checks) in a Worker", async () => {
    const { mf, a, b } = await start();
    try {
      for (const shards of [undefined, 1, 4]) {
        const body = shards === undefined ? {} : { shards };
        await a("/suite/basics", body); // with checkPutIfAbsent()
        await b("/suite/cache", body);
        await b("/suite/claims", body);
      }
    } finally {
      await mf.dispose();
    }
  });

  test("putIfAbsent() from many request contexts in two isolates: exactly one wins", async () => {
    const { mf, a, b } = await start();
    try {
      for (const shards of [undefined, 1]) {
        const key = `race:${crypto.randomUUID()}`;
        const claims = await Promise.all(
          Array.from(
            { length: 40 },
            (_, i) => (i % 2 === 0 ? a : b)("/claim", { key, value: `v${i}`, shards }),
          ),
        );
        const winners = claims.flatMap((c, i) => (c.won === true ? [i] : []));
        assert.equal(winners.length, 1, `one winner, not ${winners.length}`);
        // Both isolates read the winner's value at once: the store is strongly consistent.
        for (const caller of [a, b]) {
          assert.deepEqual(await caller("/get", { key, shards }), { value: `v${winners[0]}` });
        }
        await a("/put", { key, value: "next", shards });
        assert.deepEqual(await b("/get", { key, shards }), { value: "next" });
        assert.deepEqual(await b("/claim", { key, value: "late", shards }), { won: false });
      }
    } finally {
      await mf.dispose();
    }
  });

  test("AuthLiteStoreObject answers 400 to a malformed request and stores nothing", async () => {
    const { mf, a } = await start();
    try {
      const bad = [
        { text: "not json" },
        { text: JSON.stringify({ op: "drop", key: "k" }) },
        { text: JSON.stringify({ op: "get", key: "" }) },
        { text: JSON.stringify({ op: "get", key: "k".repeat(2049) }) },
        { text: JSON.stringify({ op: "put", key: "k", value: 1, ttlSeconds: 60 }) },
        { text: JSON.stringify({ op: "put", key: "k", value: "v", ttlSeconds: -1 }) },
        { text: JSON.stringify({ op: "putIfAbsent", key: "k", value: "v" }) },
        { text: JSON.stringify(null) },
      ];
      for (const b of bad) {
        const { status, text } = await a("/raw", b);
        assert.equal(status, 400, text);
        assert.match(text, /^Invalid request: /);
      }
      assert.equal((await a("/raw", { method: "GET" })).status, 405);
      const got = await a("/raw", { text: JSON.stringify({ op: "get", key: "k" }) });
      assert.deepEqual([got.status, JSON.parse(got.text)], [200, { result: null }]);
    } finally {
      await mf.dispose();
    }
  });
});

/** An object's storage in a Map, with its alarm. */
function mapStorage(): DurableObjectStorageLike & {
  map: Map<string, unknown>;
  alarm: number | null;
} {
  const map = new Map<string, unknown>();
  const s = {
    map,
    alarm: null as number | null,
    get: (key: string) => Promise.resolve(map.get(key)),
    put: (key: string, value: unknown) => Promise.resolve(void map.set(key, value)),
    delete: (key: string) => Promise.resolve(map.delete(key)),
    list: () => Promise.resolve(new Map(map)),
    getAlarm: () => Promise.resolve(s.alarm),
    setAlarm: (t: number) => Promise.resolve(void (s.alarm = t)),
  };
  return s;
}

describe("AuthLiteStoreObject and durableObjectStore() outside workerd", () => {
  test("AuthLiteStoreObject sets an alarm after the first expiry and the alarm clears expired entries", async () => {
    const storage = mapStorage();
    const object = new AuthLiteStoreObject({ storage });
    const op = (body: unknown) =>
      object.fetch(new Request("https://o/op", { method: "POST", body: JSON.stringify(body) }));
    const before = Date.now();
    await op({ op: "put", key: "short", value: "s", ttlSeconds: 0.001 });
    await op({ op: "put", key: "long", value: "l", ttlSeconds: 3600 });
    assert.ok(storage.alarm !== null && storage.alarm >= before && storage.alarm < before + 3600e3);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await object.alarm();
    assert.deepEqual([...storage.map.keys()], ["long"]);
    assert.ok(storage.alarm !== null && storage.alarm >= before + 3600e3, "next sweep set");
    // A read of an expired entry deletes it.
    await op({ op: "put", key: "gone", value: "g", ttlSeconds: 0.001 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(await (await op({ op: "get", key: "gone" })).json(), { result: null });
    assert.ok(!storage.map.has("gone"));
  });

  test("durableObjectStore() rejects what is not a Durable Object namespace, and bad shards", () => {
    const isConfig = (err: unknown) => err instanceof AuthLiteError && err.code === "ERR_CONFIG";
    for (const ns of [undefined, null, {}, { get() {} }, "AUTH_STORE"]) {
      // deno-lint-ignore no-explicit-any
      assert.throws(() => durableObjectStore(ns as any), isConfig);
    }
    const ns = { idFromName: (n: string) => n, get: () => ({ fetch: () => Promise.reject() }) };
    for (const shards of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => durableObjectStore(ns, { shards }), isConfig);
    }
    assert.equal(durableObjectStore(ns).consistency, "strong");
  });
});
