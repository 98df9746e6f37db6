/**
 * The gateway under `Bun.serve` (`bun src/runtime/bun.ts`), with the token
 * cache in Redis when `REDIS_URL` is set (Bun's built-in client), else in
 * memory. Configuration from the environment (see `_config.ts`); `PORT`
 * (default 8787) and `HOST` (default `0.0.0.0`).
 *
 * @module
 */
import process from "node:process";
import { AsyncLocalStorage } from "node:async_hooks";
import { type KVStore, memoryStore, redisStore } from "../cache/mod.ts";
import { configFromEnv, gatewayFromConfig, startErrorLine } from "./_config.ts";

// The few Bun APIs used here, typed locally: bun-types would change global
// types for every other file of a `deno check`.
interface BunRedis {
  send(command: string, args: string[]): Promise<unknown>;
  connect(): Promise<void>;
  readonly connected: boolean;
  close(): void;
}
interface BunServer {
  requestIP(req: Request): { address: string } | null;
}
interface BunRuntime {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (req: Request, server: BunServer) => Response | Promise<Response>;
  }): { port: number; stop(force?: boolean): Promise<void> };
  RedisClient: new (url: string, options?: { enableOfflineQueue?: boolean }) => BunRedis;
  env: Record<string, string | undefined>;
}
const Bun = (globalThis as unknown as { Bun: BunRuntime }).Bun;

/**
 * Bun's Redis client without its offline queue, and the store over it. With
 * the queue (Bun's default), a command sent while Redis is down waits in the
 * client and is sent once it reconnects, long after the cache gave up on it:
 * a refresh claim (`SET NX PX`) then lands and holds that session's refresh
 * for the claim's life, though nobody is refreshing it. Without the queue, a
 * command fails at once while the client is not connected (the store's
 * breaker opens sooner too); a connection is asked for then (Bun reconnects
 * by itself after a drop, not after a first connection that failed).
 */
function bunRedisStore(url: string): { store: KVStore; redis: BunRedis } {
  const redis = new Bun.RedisClient(url, { enableOfflineQueue: false });
  let connecting: Promise<void> | undefined;
  const connect = (): void => {
    connecting ??= redis.connect().catch(() => {}).finally(() => connecting = undefined);
  };
  connect();
  const store = redisStore({
    send: (command, args) => {
      if (!redis.connected) connect();
      return redis.send(command, args);
    },
  });
  return { store, redis };
}

/** A running Bun server. */
export interface BunGateway {
  /** `http://host:port` */
  url: string;
  /** Stop the server and close the Redis connection. */
  close(): Promise<void>;
}

/**
 * Start the gateway under `Bun.serve`.
 *
 * @param env the environment variables
 * @returns the running server
 * @throws {AuthLiteInputError} `ERR_CONFIG` when the configuration is incomplete, or
 *   TrustAuthX rejects the credentials (the message names the variable to fix)
 */
export async function startBunGateway(
  env: Record<string, string | undefined>,
): Promise<BunGateway> {
  const config = configFromEnv(env);
  let store: KVStore = memoryStore();
  let redis: BunRedis | undefined;
  const redisUrl = env["REDIS_URL"];
  if (redisUrl !== undefined && redisUrl !== "") {
    ({ store, redis } = bunRedisStore(redisUrl));
  }
  const { app, checkAtStart } = await gatewayFromConfig(config, {
    store,
    asyncLocalStorage: new AsyncLocalStorage(),
  });
  const hostname = env["HOST"] ?? "0.0.0.0";
  const server = Bun.serve({
    hostname,
    port: Number(env["PORT"] ?? 8787),
    // The peer's address, for the rate limiter (a header could be forged).
    fetch: (req, srv) => app.fetch(req, { remoteAddr: srv.requestIP(req)?.address ?? "unknown" }),
  });
  const close = async () => {
    await server.stop(true);
    redis?.close();
  };
  // One signed call (once the port is ours): rejected credentials stop the
  // start with one line.
  await checkAtStart().catch(async (err) => {
    await close();
    throw err;
  });
  return { url: `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${server.port}`, close };
}

if (import.meta.main) {
  // A configuration mistake or a busy port: one line, no stack.
  const gw = await startBunGateway(Bun.env).catch((err) => {
    const line = startErrorLine(err, Bun.env);
    if (line === undefined) throw err;
    console.error(line);
    process.exit(1);
  });
  console.log(`authlite gateway on ${gw.url} (OpenAPI: ${gw.url}/openapi.json)`);
}
