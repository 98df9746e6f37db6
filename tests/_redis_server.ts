/**
 * Test helper: a throwaway `redis-server` on a free loopback port, spawned
 * with node:child_process (works under Deno and Bun); ready when its log says so.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";

/** A running redis-server. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** The port. */
  port: number;
  /** Stop the server and wait for it to exit. */
  close(): Promise<void>;
}

function freePort(): Promise<number> {
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

/** Start redis-server on `port`: the server once it is ready, or its log if it exited. */
function tryStart(port: number): Promise<{ server: RedisServer } | { log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    let log = "";
    let ready = false;
    const onData = (chunk: Uint8Array) => {
      log += new TextDecoder().decode(chunk);
      // It logs this only once it listens on the port: ours, not someone else's server.
      if (!ready && log.includes("Ready to accept connections")) {
        ready = true;
        clearTimeout(bound);
        resolve({
          server: {
            url: `redis://127.0.0.1:${port}`,
            port,
            close: async () => {
              child.kill("SIGTERM");
              await exited;
            },
          },
        });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (err) => {
      clearTimeout(bound);
      reject(
        new Error(`Cannot start redis-server (install it: apt-get install redis-server): ${err}`),
      );
    });
    child.once("exit", () => {
      clearTimeout(bound);
      if (!ready) resolve({ log });
    });
    // A server that neither starts nor exits fails the test rather than hanging the run.
    const bound = setTimeout(() => child.kill("SIGKILL"), 30_000);
  });
}

/**
 * Start `redis-server` (no persistence) on a free loopback port. Redis cannot
 * listen on port 0 (it means "no TCP"), so a port is picked first; if another
 * process takes it before redis binds it, redis exits and a new port is tried.
 * Rejects, so the test fails rather than skips, when redis-server is not
 * installed.
 */
export async function startRedis(): Promise<RedisServer> {
  let log = "";
  for (let attempt = 0; attempt < 10; attempt++) {
    const started = await tryStart(await freePort());
    if ("server" in started) return started.server;
    log = started.log;
    if (!log.includes("Address already in use")) break;
  }
  throw new Error(`redis-server did not start: ${log.slice(-800)}`);
}
