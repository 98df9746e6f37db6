/**
 * A {@linkcode KVStore} over Redis, for fleets of Bun, Deno or Node servers
 * sharing one cache.
 *
 * @module
 */
import type { KVPutOptions, KVStore } from "./store.ts";
import { AuthLiteInputError } from "../errors.ts";

/** A node-redis client (npm `redis`, v4 to v6): `createClient()`. */
export interface NodeRedisLike {
  /** Send a raw command, e.g. `["GET", key]`. */
  sendCommand(args: readonly string[]): Promise<unknown>;
}

/** An ioredis client (npm `ioredis`): `new Redis()`. */
export interface IoRedisLike {
  /** Send a raw command, e.g. `call("GET", key)`. */
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** Bun's built-in client: `new Bun.RedisClient()` or `Bun.redis`. */
export interface BunRedisLike {
  /** Send a raw command, e.g. `send("GET", [key])`. */
  send(command: string, args: string[]): Promise<unknown>;
}

/**
 * Any of the Redis clients {@linkcode redisStore} takes, typed structurally:
 * node-redis, ioredis, or Bun's `RedisClient`. Pass a connected client; the
 * store never connects or closes it.
 */
export type RedisClientLike = NodeRedisLike | IoRedisLike | BunRedisLike;

type Send = (command: string, args: string[]) => Promise<unknown>;

function sender(client: RedisClientLike): Send | null {
  // ioredis also has a `sendCommand`, with another signature: test `call` first.
  if (typeof (client as IoRedisLike)?.call === "function") {
    const c = client as IoRedisLike;
    return (command, args) => c.call(command, ...args);
  }
  if (typeof (client as BunRedisLike)?.send === "function") {
    const c = client as BunRedisLike;
    return (command, args) => c.send(command, args);
  }
  if (typeof (client as NodeRedisLike)?.sendCommand === "function") {
    const c = client as NodeRedisLike;
    return (command, args) => c.sendCommand([command, ...args]);
  }
  return null;
}

const decoder = new TextDecoder();

/**
 * A store over Redis: `GET`, `MGET`, `SET key value PX ttl`, `DEL`. Takes a
 * connected client of node-redis, ioredis or Bun, and leaves its lifecycle
 * to the caller.
 *
 * @param client a connected Redis client
 * @returns the store
 * @throws {AuthLiteInputError} `ERR_CONFIG` when `client` is not a Redis client
 *
 * @example
 * ```ts ignore
 * import { createClient } from "redis";
 * import { redisStore } from "@authlite/authlite";
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const store = redisStore(client);
 * ```
 */
export function redisStore(client: RedisClientLike): KVStore {
  const send = sender(client);
  if (send === null) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      "Invalid store: expected a node-redis, ioredis or Bun Redis client",
    );
  }
  return {
    async get(key: string): Promise<string | null> {
      const value = await send("GET", [key]);
      if (value instanceof Uint8Array) return decoder.decode(value);
      return typeof value === "string" ? value : null;
    },
    async getMany(keys: readonly string[]): Promise<(string | null)[]> {
      const values = await send("MGET", [...keys]);
      if (!Array.isArray(values) || values.length !== keys.length) {
        throw new Error("Redis MGET answered something that is not one value per key");
      }
      return values.map((value) =>
        value instanceof Uint8Array
          ? decoder.decode(value)
          : typeof value === "string"
          ? value
          : null
      );
    },
    async put(key: string, value: string, options: KVPutOptions): Promise<void> {
      const ms = Math.max(1, Math.ceil(options.ttlSeconds * 1000));
      await send("SET", [key, value, "PX", String(ms)]);
    },
    async delete(key: string): Promise<void> {
      await send("DEL", [key]);
    },
    async putIfAbsent(key: string, value: string, options: KVPutOptions): Promise<boolean> {
      const ms = Math.max(1, Math.ceil(options.ttlSeconds * 1000));
      const reply = await send("SET", [key, value, "NX", "PX", String(ms)]);
      // "OK" when set; null (nil) when the key exists. Some clients hand back bytes.
      const text = reply instanceof Uint8Array ? decoder.decode(reply) : reply;
      return text === "OK";
    },
    consistency: "strong",
  };
}
