/**
 * A {@linkcode KVStore} over a Cloudflare Durable Object namespace binding:
 * strongly consistent, with an atomic `putIfAbsent`. The Durable Object class
 * it talks to is {@linkcode AuthLiteStoreObject}; a Worker exports it and
 * binds it (see docs/cache.md, "On Cloudflare Workers").
 *
 * @module
 */
import type { KVPutOptions, KVStore } from "./store.ts";
import { AuthLiteInputError } from "../errors.ts";
import { STORE_OBJECT_URL, type StoreRequest } from "./durable_object.ts";

/**
 * A Durable Object stub as far as this store uses it: the object's `fetch`.
 * Typed structurally so no Workers types are needed.
 */
export interface DurableObjectStubLike {
  /** Send a request to the object. */
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

/**
 * The part of a Durable Object namespace binding (`DurableObjectNamespace`)
 * this store uses, typed structurally.
 */
export interface DurableObjectNamespaceLike {
  /** The id of the object of a name (the same name gives the same object everywhere). */
  idFromName(name: string): unknown;
  /** A stub of the object of an id. */
  // deno-lint-ignore no-explicit-any
  get(id: any): DurableObjectStubLike;
}

/**
 * A {@linkcode KVStore} whose reads see every completed write and which has an
 * atomic claim: what {@linkcode durableObjectStore} returns.
 */
export interface AtomicKVStore extends KVStore {
  /**
   * Store `value` under `key` only if no live entry is there.
   *
   * @returns `true` when this call stored it
   */
  putIfAbsent(key: string, value: string, options: KVPutOptions): Promise<boolean>;
  /** Always `"strong"`: a read sees every completed write. */
  readonly consistency: "strong";
}

/** Options of {@linkcode durableObjectStore}. */
export interface DurableObjectStoreOptions {
  /**
   * How many objects the keys are spread over. Default: one object per key,
   * which keeps every operation of a key inside its own object (no hot spot,
   * each object placed near where its key is first used, an object's storage
   * gone with its last entry). A number `n` hashes the keys onto `n` objects
   * instead; each then serves every key of its share, one request at a time.
   */
  shards?: number;
  /** Prefix of the object names (default `"authlite:"`): one namespace can serve several stores. */
  namePrefix?: string;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

function validNamespace(namespace: unknown): namespace is DurableObjectNamespaceLike {
  const ns = namespace as Partial<DurableObjectNamespaceLike> | null | undefined;
  return typeof ns?.idFromName === "function" && typeof ns.get === "function";
}

/**
 * A store over a Durable Object namespace binding whose class is
 * {@linkcode AuthLiteStoreObject}. Every operation on a key runs inside one
 * object, one request at a time, so a read sees every completed write
 * (`consistency: "strong"`) and `putIfAbsent` is an atomic claim: of many
 * concurrent claims on one key, exactly one resolves `true`. Entries expire
 * after their TTL (checked on read; the object's alarm clears its storage).
 *
 * Each operation is one request to an object, made from wherever the Worker
 * runs to wherever the object lives (near where its key was first used).
 *
 * @param namespace the Durable Object binding (e.g. `env.AUTH_STORE`)
 * @param options sharding and naming
 * @returns the store
 * @throws {AuthLiteInputError} `ERR_CONFIG` when `namespace` is not a Durable
 *   Object namespace or `shards` is not a positive integer
 *
 * @example In a Worker, with a Durable Object binding named AUTH_STORE
 * ```ts
 * import {
 *   type DurableObjectNamespaceLike,
 *   durableObjectStore,
 * } from "./durable_object_store.ts";
 * import type { KVStore } from "@authlite/authlite";
 * // The Worker's entry also does: export { AuthLiteStoreObject } from "authlite";
 * function storeOf(env: { AUTH_STORE: DurableObjectNamespaceLike }): KVStore {
 *   return durableObjectStore(env.AUTH_STORE);
 * }
 * ```
 */
export function durableObjectStore(
  namespace: DurableObjectNamespaceLike,
  options: DurableObjectStoreOptions = {},
): AtomicKVStore {
  if (!validNamespace(namespace)) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      "Invalid store: expected a Durable Object namespace binding",
    );
  }
  const { shards, namePrefix = "authlite:" } = options;
  if (shards !== undefined && (!Number.isInteger(shards) || shards < 1)) {
    throw new AuthLiteInputError("ERR_CONFIG", "Invalid option: shards must be a positive integer");
  }
  if (typeof namePrefix !== "string") {
    throw new AuthLiteInputError("ERR_CONFIG", "Invalid option: namePrefix must be a string");
  }
  const nameOf = shards === undefined
    ? (key: string) => `${namePrefix}k:${key}`
    : (key: string) => `${namePrefix}s:${fnv1a(key) % shards}`;

  async function send(request: StoreRequest, name: string): Promise<unknown> {
    const stub = namespace.get(namespace.idFromName(name));
    const res = await stub.fetch(STORE_OBJECT_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    const text = await res.text();
    if (res.status !== 200) {
      // The object's own message: never a key's value (it sends none back on errors).
      throw new Error(`Durable Object store failed: ${res.status} ${text.slice(0, 200)}`);
    }
    return (JSON.parse(text) as { result: unknown }).result;
  }

  const ttlOf = (options: KVPutOptions): number => options.ttlSeconds;
  return {
    consistency: "strong",
    get: async (key: string): Promise<string | null> => {
      const result = await send({ op: "get", key }, nameOf(key));
      if (result !== null && typeof result !== "string") {
        throw new Error("Durable Object store failed: a value that is not a string");
      }
      return result;
    },
    put: async (key: string, value: string, options: KVPutOptions): Promise<void> => {
      await send({ op: "put", key, value, ttlSeconds: ttlOf(options) }, nameOf(key));
    },
    delete: async (key: string): Promise<void> => {
      await send({ op: "delete", key }, nameOf(key));
    },
    putIfAbsent: async (key: string, value: string, options: KVPutOptions): Promise<boolean> => {
      const request: StoreRequest = { op: "putIfAbsent", key, value, ttlSeconds: ttlOf(options) };
      return (await send(request, nameOf(key))) === true;
    },
    // One request per object involved, in parallel: one in all when the keys
    // share an object (shards), one per key otherwise.
    getMany: async (keys: readonly string[]): Promise<(string | null)[]> => {
      const groups = new Map<string, number[]>();
      keys.forEach((key, i) => {
        const name = nameOf(key);
        groups.set(name, [...(groups.get(name) ?? []), i]);
      });
      const out: (string | null)[] = keys.map(() => null);
      await Promise.all(
        [...groups].map(async ([name, indexes]) => {
          const values = await send({ op: "getMany", keys: indexes.map((i) => keys[i]!) }, name);
          if (!Array.isArray(values) || values.length !== indexes.length) {
            throw new Error("Durable Object store failed: getMany answered the wrong shape");
          }
          indexes.forEach((index, j) => {
            const value: unknown = values[j];
            if (value !== null && typeof value !== "string") {
              throw new Error("Durable Object store failed: a value that is not a string");
            }
            out[index] = value;
          });
        }),
      );
      return out;
    },
  };
}
