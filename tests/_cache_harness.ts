/**
 * Test helper for the token-set cache: the emulator on a loopback socket, an
 * upstream (`validate`, `refresh`) that calls it over real HTTP the way the
 * client does, and clocks that move together.
 *
 * @module
 */
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import type { TokenPair, TokenSetUpstream } from "../src/cache/types.ts";
import { httpUpstream, REFRESH_PATH, VALIDATE_PATH } from "./_http_upstream.ts";
import type { KVStore } from "../src/cache/store.ts";
import { serve, type TestServer } from "./_serve.ts";

/** The emulator, its socket, an upstream over HTTP and a shared clock. */
export interface CacheHarness {
  emulator: Emulator;
  server: TestServer;
  upstream: TokenSetUpstream;
  /** The clock to inject into caches and stores (ms). */
  now: () => number;
  /** Move both the emulator's clock and {@linkcode CacheHarness.now}. */
  advance(seconds: number): void;
  /** `emulator.requests().byPath[path] ?? 0` for validate and refresh. */
  calls(): { validate: number; refresh: number; total: number };
  /** A fresh session of a new user. */
  session(): TokenPair;
  close(): Promise<void>;
}

/** Start the emulator on a loopback port, with a clock the test moves. */
export async function startHarness(options: { accessTokenTtlSeconds?: number } = {}): Promise<
  CacheHarness
> {
  let offset = 0;
  const base = Date.now();
  const now = () => base + offset;
  const emulator = createEmulator({
    now: () => base,
    ...(options.accessTokenTtlSeconds === undefined
      ? {}
      : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
  });
  const server = await serve((req) => emulator.fetch(req));
  const upstream = await httpUpstream(server.url, DEMO_ORG.apiKey, DEMO_ORG.secretKey);
  let n = 0;
  return {
    emulator,
    server,
    upstream,
    now,
    advance(seconds: number) {
      offset += seconds * 1000;
      emulator.advanceClock(seconds);
    },
    calls() {
      const r = emulator.requests();
      return {
        validate: r.byPath[VALIDATE_PATH] ?? 0,
        refresh: r.byPath[REFRESH_PATH] ?? 0,
        total: r.total,
      };
    },
    session() {
      const s = emulator.session({ email: `user${++n}-${crypto.randomUUID()}@example.com` });
      return { accessToken: s.accessToken, refreshToken: s.refreshToken };
    },
    close: () => server.close(),
  };
}

/** A store that records every call and can be made to fail. */
export class RecordingStore implements KVStore {
  readonly map = new Map<string, string>();
  readonly log: string[] = [];
  /** What the next calls do: answer, throw, hang, or return `garbage`. */
  mode: "ok" | "throw" | "hang" | "garbage" = "ok";
  garbage: unknown = 42;

  #act<T>(op: string, fn: () => T): Promise<T> {
    this.log.push(op);
    if (this.mode === "throw") return Promise.reject(new Error("Store is down"));
    if (this.mode === "hang") return new Promise<T>(() => {});
    if (this.mode === "garbage" && op === "get") return Promise.resolve(this.garbage as T);
    return Promise.resolve(fn());
  }

  get(key: string): Promise<string | null> {
    return this.#act("get", () => this.map.get(key) ?? null);
  }

  put(key: string, value: string): Promise<void> {
    return this.#act("put", () => void this.map.set(key, value));
  }

  delete(key: string): Promise<void> {
    return this.#act("delete", () => void this.map.delete(key));
  }
}
