/**
 * Test helper: a throwaway `redis-server` on a free loopback port, spawned
 * with node:child_process (works under Deno and Bun).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";

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

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/**
 * Start `redis-server` (no persistence). Rejects, so the test fails rather
 * than skips, when redis-server is not installed.
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let spawnError: Error | null = null;
  child.once("error", (err) => {
    spawnError = err;
  });
  child.stderr?.resume();
  for (let i = 0; i < 200; i++) {
    if (spawnError !== null) {
      throw new Error(
        `Cannot start redis-server (install it: apt-get install redis-server): ${spawnError}`,
      );
    }
    if (await canConnect(port)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        close: async () => {
          child.kill("SIGTERM");
          await exited;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  await exited;
  throw new Error("redis-server did not start listening");
}
