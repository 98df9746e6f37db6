/**
 * A {@linkcode KVStore} over a Cloudflare Workers KV namespace binding.
 *
 * @module
 */
import type { KVPutOptions, KVStore } from "./store.ts";
import { AuthLiteInputError } from "../errors.ts";

/**
 * The part of a Workers KV namespace binding (`KVNamespace`) this store uses,
 * typed structurally so no Workers types are needed.
 */
export interface KVNamespaceLike {
  /** Read a value as text. */
  get(key: string, type: "text"): Promise<string | null>;
  /** Write a value with a TTL in seconds (Workers KV's minimum is 60). */
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
  /** Delete a key. */
  delete(key: string): Promise<void>;
}

/** Workers KV rejects an `expirationTtl` below 60 seconds. */
export const CLOUDFLARE_KV_MIN_TTL_SECONDS = 60;

/**
 * A store over a Workers KV namespace binding. TTLs below Workers KV's
 * minimum of 60 s are rounded up; the token-set cache keeps the true expiry
 * inside each (encrypted) value, so a shorter lifetime still holds.
 *
 * Workers KV is eventually consistent: a write or delete can take up to about
 * 60 s to reach other locations, so a revoked token may still be served as
 * valid there for that long.
 *
 * @param namespace the KV binding (e.g. `env.AUTHLITE_KV`)
 * @returns the store
 * @throws {AuthLiteInputError} `ERR_CONFIG` when `namespace` is not a KV binding
 *
 * @example In a Worker, with a KV binding named AUTHLITE_KV
 * ```ts
 * import { cloudflareKVStore, type KVNamespaceLike } from "@authlite/authlite";
 * import type { KVStore } from "@authlite/authlite";
 * function storeOf(env: { AUTHLITE_KV: KVNamespaceLike }): KVStore {
 *   return cloudflareKVStore(env.AUTHLITE_KV);
 * }
 * ```
 */
export function cloudflareKVStore(namespace: KVNamespaceLike): KVStore {
  if (
    typeof namespace?.get !== "function" || typeof namespace.put !== "function" ||
    typeof namespace.delete !== "function"
  ) {
    throw new AuthLiteInputError("ERR_CONFIG", "Invalid store: expected a Workers KV namespace");
  }
  return {
    get: (key: string): Promise<string | null> => namespace.get(key, "text"),
    put: (key: string, value: string, options: KVPutOptions): Promise<void> =>
      namespace.put(key, value, {
        expirationTtl: Math.max(CLOUDFLARE_KV_MIN_TTL_SECONDS, Math.ceil(options.ttlSeconds)),
      }),
    delete: (key: string): Promise<void> => namespace.delete(key),
    // No atomic operation, and up to about 60 s between locations.
    consistency: "eventual",
  };
}
