/**
 * Test helper of the fault and flood tests (issue 17): gateway processes that can be killed
 * and restarted on their port, a redis-server that can be stopped and started on its port,
 * the emulator served in this process with its control surface, browsers with cookie jars,
 * and an HTTP client that sends from a loopback address of its own (127.0.0.x: each
 * browser, service or flood is its own peer for the gateway's rate limiter). Works under
 * Deno and Bun (node:child_process, node:http); everything on loopback, ports from the OS.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { createServer } from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { serve, type TestServer } from "./_serve.ts";

/** The repository's root directory (with a trailing slash). */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));
/** The service key the gateways accept on `/rpc/*`. */
export const SERVICE_KEY = "weather-service-key-0123456789";
/** The admin key the gateways accept on `/admin/*`. */
export const ADMIN_KEY = "weather-admin-key-0123456789ab";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A port free right now on 127.0.0.1 (for a process that cannot take port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The resident set size of a process, from `/proc` (Linux).
 *
 * @param pid the process id
 * @returns bytes, or `undefined` where `/proc` cannot say
 */
export function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Mebibytes, one decimal, for reports. */
export function mib(bytes: number | undefined): number | null {
  return bytes === undefined ? null : Math.round(bytes / 104857.6) / 10;
}

// ------------------------------------------------------------------ gateway processes

/** A gateway process (`bun src/runtime/bun.ts`). */
export interface GatewayProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Its port. */
  port: number;
  /** Its process id. */
  pid: number | undefined;
  /** What it printed so far. */
  output(): string;
  /** Its resident set size now (bytes), if known. */
  rss(): number | undefined;
  /** Kill it with SIGKILL (a crash) and wait until it is gone. */
  kill(): Promise<void>;
  /** Stop it with SIGTERM and wait until it is gone. */
  stop(): Promise<void>;
}

/** The environment of a gateway in front of the emulator at `upstream`. */
export function gatewayEnv(
  upstream: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
    TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
    TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
    TRUSTAUTHX_BASE_URL: upstream,
    TRUSTAUTHX_WIDGET_URL: upstream,
    SERVICE_KEY,
    ADMIN_KEY,
    ...extra,
  };
}

function spawnGateway(env: Record<string, string>, port: number): Promise<GatewayProcess> {
  const child: ChildProcess = spawn(`${ROOT}node_modules/.bin/bun`, ["src/runtime/bun.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NO_COLOR: "1",
      HOST: "127.0.0.1",
      PORT: String(port),
      COOKIE_SECURE: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let exitedFlag = false;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exitedFlag = true;
      resolve();
    })
  );
  let output = "";
  let started = false;
  const end = async (signal: "SIGKILL" | "SIGTERM") => {
    if (!exitedFlag) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const onData = (chunk: Uint8Array) => {
      // Keep the tail only (200 KB): a long run must not grow this process's memory.
      output = (output + new TextDecoder().decode(chunk)).slice(-200_000);
      if (started) return;
      const m = /authlite gateway on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
      if (m) {
        started = true;
        resolve({
          url: m[1]!,
          port: Number(m[2]),
          pid: child.pid,
          output: () => output,
          rss: () => (exitedFlag ? undefined : rssOf(child.pid)),
          kill: () => end("SIGKILL"),
          stop: () => end("SIGTERM"),
        });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`The gateway exited (${code}):\n${output}`)));
  });
}

/**
 * Start a gateway process; on `port` when given (a restart: tried again while the port is
 * still held by the process that just died), else on one the OS picks.
 */
export async function startGateway(
  env: Record<string, string>,
  port = 0,
): Promise<GatewayProcess> {
  for (let attempt = 0;; attempt++) {
    try {
      return await spawnGateway(env, port);
    } catch (err) {
      if (port === 0 || attempt >= 20 || !/in use/i.test(String(err))) throw err;
      await sleep(100);
    }
  }
}

// ------------------------------------------------------------------ redis-server

/** A redis-server on a fixed loopback port that can be stopped and started again. */
export class RedisProcess {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Its port. */
  readonly port: number;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(port: number) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
  }

  /** Start one on a free port (another one if that port is taken meanwhile). */
  static async start(): Promise<RedisProcess> {
    let last: unknown;
    for (let attempt = 0; attempt < 10; attempt++) {
      const redis = new RedisProcess(await freePort());
      try {
        await redis.resume();
        return redis;
      } catch (err) {
        last = err;
        if (!/Address already in use/.test(String(err))) break;
      }
    }
    throw last;
  }

  /** Whether it is running. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Start it (again) on its port; resolves once it accepts connections. */
  resume(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        "redis-server",
        ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      this.#exited = new Promise((done) => child.once("exit", () => done()));
      let log = "";
      let ready = false;
      const bound = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const onData = (chunk: Uint8Array) => {
        log = (log + new TextDecoder().decode(chunk)).slice(-4000);
        if (!ready && log.includes("Ready to accept connections")) {
          ready = true;
          clearTimeout(bound);
          this.#child = child;
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("error", (err) => {
        clearTimeout(bound);
        reject(new Error(`Cannot start redis-server (apt-get install redis-server): ${err}`));
      });
      child.once("exit", () => {
        clearTimeout(bound);
        if (this.#child === child) this.#child = undefined;
        if (!ready) reject(new Error(`redis-server did not start: ${log.slice(-800)}`));
      });
    });
  }

  /** Stop it (SIGKILL: an outage, not a shutdown) and wait until it is gone. */
  async halt(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    child?.kill("SIGKILL");
    await this.#exited;
  }
}

// ------------------------------------------------------------------ HTTP from an address

/** A reply, read whole. */
export interface Reply {
  /** The status; 0 when the request failed (connection refused or reset, timeout). */
  status: number;
  /** The `Retry-After` header, if any. */
  retryAfter: string | undefined;
  /** The `Set-Cookie` lines. */
  setCookies: string[];
  /** The body. */
  body: string;
  /** Why it failed, when `status` is 0. */
  error?: string;
}

/** An HTTP/1.1 client (keep-alive) whose connections come from `localAddress`. */
export class PeerClient {
  readonly #agent: Agent;
  /** The loopback address its requests come from. */
  readonly localAddress: string;

  /**
   * @param localAddress a loopback address (127.0.0.x)
   * @param maxSockets connections at most (requests beyond wait for one)
   */
  constructor(localAddress: string, maxSockets = 16) {
    this.localAddress = localAddress;
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  /**
   * Send a request; never rejects (a failure is status 0).
   *
   * @param url the URL (http://127.0.0.1:port/...)
   * @param init method, headers, body; `timeoutMs` bounds the wait (default 30 s)
   */
  request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } =
      {},
  ): Promise<Reply> {
    const u = new URL(url);
    return new Promise((resolve) => {
      let settled = false;
      const done = (reply: Reply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(reply);
      };
      const fail = (error: string) =>
        done({ status: 0, retryAfter: undefined, setCookies: [], body: "", error });
      const headers: Record<string, string> = { ...init.headers };
      if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
      const req = httpRequest({
        host: u.hostname,
        port: Number(u.port),
        path: `${u.pathname}${u.search}`,
        method: init.method ?? "GET",
        headers,
        localAddress: this.localAddress,
        agent: this.#agent,
      }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 65_536) body += chunk;
        });
        res.on("end", () => {
          const cookies = res.headers["set-cookie"];
          const retry = res.headers["retry-after"];
          done({
            status: res.statusCode ?? 0,
            retryAfter: Array.isArray(retry) ? retry[0] : retry,
            setCookies: cookies === undefined ? [] : [...cookies],
            body,
          });
        });
        res.on("error", (err) => fail(String(err)));
        res.on("aborted", () => fail("aborted"));
      });
      const timer = setTimeout(() => {
        fail("timeout");
        req.destroy();
      }, init.timeoutMs ?? 30_000);
      req.on("error", (err) => fail(String((err as { code?: string }).code ?? err)));
      if (init.body !== undefined) req.write(init.body);
      req.end();
    });
  }

  /** Close its idle connections. */
  close(): void {
    this.#agent.destroy();
  }
}

// ------------------------------------------------------------------ browsers

/** Cookies as a browser keeps them: the last Set-Cookie wins, an expired one is removed. */
export class Jar {
  /** The cookies by name. */
  readonly cookies: Map<string, string> = new Map();

  /** @returns the `Cookie` header */
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /**
   * Take the cookies of a reply.
   *
   * @returns the names of the cookies it cleared
   */
  take(setCookies: readonly string[]): string[] {
    const cleared: string[] = [];
    for (const line of setCookies) {
      const [pair = "", ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = value === "" || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (gone) {
        this.cookies.delete(name);
        cleared.push(name);
      } else this.cookies.set(name, value);
    }
    return cleared;
  }
}

/** The session cookies: a browser that loses either one has lost its session. */
export const SESSION_COOKIES: readonly string[] = ["authlite_access", "authlite_refresh"];

/**
 * Sign a browser in through `gateway`, as a user does: `/auth/login`, then the callback with
 * a login code the emulator minted for `email`.
 *
 * @returns the jar with the session cookies, or the failed reply
 */
export async function signIn(
  client: PeerClient,
  gateway: string,
  emulator: Emulator,
  email: string,
): Promise<{ jar: Jar } | { failed: Reply }> {
  const jar = new Jar();
  const start = await client.request(`${gateway}/auth/login`);
  if (start.status !== 302) return { failed: start };
  jar.take(start.setCookies);
  const code = emulator.mintCode({ email });
  const back = await client.request(`${gateway}/auth/callback?code=${encodeURIComponent(code)}`, {
    headers: { cookie: jar.header() },
  });
  if (back.status !== 302) return { failed: back };
  jar.take(back.setCookies);
  if (!SESSION_COOKIES.every((c) => jar.cookies.has(c))) return { failed: back };
  return { jar };
}

// ------------------------------------------------------------------ the emulator

/** The emulator served by this process, with its control surface. */
export interface ServedEmulator {
  /** The emulator (in-process helpers). */
  emulator: Emulator;
  /** Its URL. */
  url: string;
  /** A control call; rejects unless it answers 200. */
  control(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  /** The API calls it answered so far. */
  calls(): number;
  /** Stop serving. */
  close(): Promise<void>;
}

/** Serve an emulator (control on) on a loopback port. */
export async function serveEmulator(accessTokenTtlSeconds: number): Promise<ServedEmulator> {
  const emulator = createEmulator({ control: true, accessTokenTtlSeconds });
  const server: TestServer = await serve((req) => emulator.fetch(req));
  return {
    emulator,
    url: server.url,
    async control(method, path, body) {
      const res = await fetch(`${server.url}/__emulator${path}`, {
        method,
        headers: { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = await res.json() as Record<string, unknown>;
      if (res.status !== 200) {
        throw new Error(`${method} /__emulator${path}: ${res.status} ${JSON.stringify(json)}`);
      }
      return json;
    },
    calls: () => emulator.requests().total,
    close: () => server.close(),
  };
}

/** Percentiles of a list of numbers (nearest rank), rounded to 0.1. */
export function percentiles(values: number[], ps: number[]): Record<string, number | null> {
  const sorted = [...values].sort((a, b) => a - b);
  const out: Record<string, number | null> = {};
  for (const p of ps) {
    const v = sorted.length === 0
      ? undefined
      : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    out[`p${p}`] = v === undefined ? null : Math.round(v * 10) / 10;
  }
  return out;
}
