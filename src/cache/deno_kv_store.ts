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
  get(key: readonly string[]): Promise<{ value: unknown; versionstamp?: string | null }>;
  /** Write an entry; `expireIn` in milliseconds. */
  set(key: readonly string[], value: string, options: { expireIn: number }): Promise<unknown>;
  /** Delete an entry. */
  delete(key: readonly string[]): Promise<void>;
  /** Read up to 10 entries at once; without it the store has no `getMany`. */
  getMany?(
    keys: readonly (readonly string[])[],
  ): Promise<{ value: unknown; versionstamp?: string | null }[]>;
  /** Start an atomic operation (`Deno.Kv.atomic()`); without it the store has no `putIfAbsent`. */
  atomic?(): DenoKvAtomicLike;
}

/** The part of `Deno.AtomicOperation` {@linkcode denoKVStore} uses for `putIfAbsent`. */
export interface DenoKvAtomicLike {
  /** Fail the commit unless `key` is at `versionstamp` (`null`: absent). */
  check(...checks: { key: readonly string[]; versionstamp: string | null }[]): DenoKvAtomicLike;
  /** Write an entry within the operation. */
  set(key: readonly string[], value: unknown, options?: { expireIn?: number }): DenoKvAtomicLike;
  /** Commit; `ok` is false when a check failed. */
  commit(): Promise<{ ok: boolean }>;
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
 * import { denoKVStore } from "@authlite/authlite";
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
  const store: KVStore = {
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
    consistency: "strong",
  };
  if (typeof kv.getMany === "function") {
    const getMany = kv.getMany.bind(kv);
    store.getMany = async (keys): Promise<(string | null)[]> => {
      const out: (string | null)[] = [];
      // Deno KV reads at most 10 keys at once.
      for (let i = 0; i < keys.length; i += 10) {
        const entries = await getMany(keys.slice(i, i + 10).map((key) => [...prefix, key]));
        for (const e of entries) out.push(typeof e?.value === "string" ? e.value : null);
      }
      return out;
    };
  }
  if (typeof kv.atomic !== "function") return store;
  // Deno KV deletes expired keys lazily (a get still returns them), so a null
  // versionstamp check alone would see a dead claim as live: a claim also
  // writes its expiry beside it, and a dead claim is replaced with a check on
  // its versionstamp.
  const atomic = kv.atomic.bind(kv);
  store.putIfAbsent = async (key, value, options): Promise<boolean> => {
    const expireIn = Math.max(1, Math.ceil(options.ttlSeconds * 1000));
    const main = [...prefix, key];
    const side = [...prefix, "\u0000exp", key];
    const [current, expiry] = kv.getMany === undefined
      ? await Promise.all([kv.get(main), kv.get(side)])
      : await kv.getMany([main, side]);
    let versionstamp: string | null = null;
    if (current?.value !== null && current?.value !== undefined) {
      const dead = typeof expiry?.value === "number" && expiry.value <= Date.now();
      if (!dead || typeof current.versionstamp !== "string") return false;
      versionstamp = current.versionstamp;
    }
    const result = await atomic()
      .check({ key: main, versionstamp })
      .set(main, value, { expireIn })
      .set(side, Date.now() + expireIn, { expireIn })
      .commit();
    return result.ok === true;
  };
  return store;
}
