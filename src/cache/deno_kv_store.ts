/**
 * A {@linkcode KVStore} over Deno KV.
 *
 * @module
 */
import type { KVPutOptions, KVStore } from "./store.ts";
import { AuthLiteInputError } from "../errors.ts";

/**
 * The part of `Deno.Kv` this store uses, typed structurally so this file
 * type-checks without Deno's types (under Bun, Node or Workers).
 */
export interface DenoKvLike {
  /** Read an entry. */
  get(key: readonly string[]): Promise<{ value: unknown }>;
  /** Write an entry; `expireIn` in milliseconds. */
  set(key: readonly string[], value: string, options: { expireIn: number }): Promise<unknown>;
  /** Delete an entry. */
  delete(key: readonly string[]): Promise<void>;
}

/** Options of {@linkcode denoKVStore}. */
export interface DenoKVStoreOptions {
  /** Key parts put before each key (default `["authlite"]`). */
  prefix?: readonly string[];
}

/**
 * A store over a `Deno.Kv` (local or Deno Deploy). Entries expire through
 * `expireIn`; Deno KV deletes expired keys lazily, which is why the
 * token-set cache also checks the expiry stored inside each value.
 *
 * @param kv the database, from `await Deno.openKv()`
 * @param options a key prefix
 * @returns the store
 * @throws {AuthLiteInputError} `ERR_CONFIG` when `kv` is not a Deno.Kv
 *
 * @example
 * ```ts ignore
 * import { denoKVStore } from "./deno_kv_store.ts";
 * const store = denoKVStore(await Deno.openKv());
 * ```
 */
export function denoKVStore(kv: DenoKvLike, options: DenoKVStoreOptions = {}): KVStore {
  if (
    typeof kv?.get !== "function" || typeof kv.set !== "function" ||
    typeof kv.delete !== "function"
  ) {
    throw new AuthLiteInputError("ERR_CONFIG", "Invalid store: expected a Deno.Kv");
  }
  const prefix = [...(options.prefix ?? ["authlite"])];
  return {
    async get(key: string): Promise<string | null> {
      const entry = await kv.get([...prefix, key]);
      return typeof entry?.value === "string" ? entry.value : null;
    },
    async put(key: string, value: string, options: KVPutOptions): Promise<void> {
      await kv.set([...prefix, key], value, {
        expireIn: Math.max(1, Math.ceil(options.ttlSeconds * 1000)),
      });
    },
    delete: (key: string): Promise<void> => kv.delete([...prefix, key]),
  };
}
