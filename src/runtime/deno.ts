/**
 * The gateway under `Deno.serve`, with the token cache in Deno KV when it is
 * available (`deno run -A --unstable-kv src/runtime/deno.ts`; the path of the
 * database in `DENO_KV_PATH`, `DENO_KV=off` for memory), else in memory.
 * Configuration from the environment (see `_config.ts`); `PORT` (default
 * 8787) and `HOST` (default `0.0.0.0`).
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { denoKVStore, type KVStore, memoryStore } from "../cache/mod.ts";
import { openKvWaiting } from "./_open_kv.ts";
import { configFromEnv, gatewayFromConfig, startErrorLine } from "./_config.ts";

/** A running Deno server. */
export interface DenoGateway {
  /** `http://host:port` */
  url: string;
  /** Stop the server and close the KV database. */
  close(): Promise<void>;
}

/**
 * Start the gateway under `Deno.serve`.
 *
 * @param env the environment variables
 * @returns the running server
 * @throws {AuthLiteInputError} `ERR_CONFIG` when the configuration is incomplete, or
 *   TrustAuthX rejects the credentials (the message names the variable to fix)
 */
export async function startDenoGateway(env: Record<string, string>): Promise<DenoGateway> {
  const config = configFromEnv(env);
  let store: KVStore = memoryStore();
  let kv: Deno.Kv | undefined;
  if (env["DENO_KV"] !== "off" && typeof Deno.openKv === "function") {
    // Two instances starting together on one file: the second waits for the lock.
    kv = await openKvWaiting((path) => Deno.openKv(path), env["DENO_KV_PATH"]);
    store = denoKVStore(kv);
  }
  const { app, checkAtStart } = await gatewayFromConfig(config, {
    store,
    asyncLocalStorage: new AsyncLocalStorage(),
  });
  const hostname = env["HOST"] ?? "0.0.0.0";
  const ac = new AbortController();
  let server: Deno.HttpServer | undefined;
  const port = await new Promise<number>((resolve) => {
    server = Deno.serve({
      hostname,
      port: Number(env["PORT"] ?? 8787),
      signal: ac.signal,
      onListen: (addr) => resolve(addr.port),
    }, (req, info) => {
      // The peer's address, for the rate limiter (a header could be forged).
      const remote = info.remoteAddr;
      return app.fetch(req, { remoteAddr: "hostname" in remote ? remote.hostname : "unix" });
    });
  });
  const close = async () => {
    ac.abort();
    await server?.finished;
    kv?.close();
  };
  // One signed call (once the port is ours): rejected credentials stop the
  // start with one line.
  await checkAtStart().catch(async (err) => {
    await close();
    throw err;
  });
  return { url: `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${port}`, close };
}

if (import.meta.main) {
  const env = Deno.env.toObject();
  // A configuration mistake or a busy port: one line, no stack.
  const gw = await startDenoGateway(env).catch((err) => {
    const line = startErrorLine(err, env);
    if (line === undefined) throw err;
    console.error(line);
    Deno.exit(1);
  });
  console.log(`authlite gateway on ${gw.url} (OpenAPI: ${gw.url}/openapi.json)`);
}
