/**
 * The Durable Object behind {@linkcode durableObjectStore}: values with an
 * expiry in the object's own storage, read and written one request at a time.
 *
 * @module
 */

/** The URL of every request to the object (it is never seen outside the Worker). */
export const STORE_OBJECT_URL = "https://authlite-store.internal/op";

/** One operation, as sent to the object. */
export type StoreRequest =
  | { op: "get"; key: string }
  | { op: "getMany"; keys: string[] }
  | { op: "delete"; key: string }
  | { op: "put" | "putIfAbsent"; key: string; value: string; ttlSeconds: number };

/**
 * The part of a Durable Object's storage (`DurableObjectStorage`) the object
 * uses, typed structurally so no Workers types are needed. Both storage
 * backends (key-value and SQLite) have it.
 */
export interface DurableObjectStorageLike {
  /** The value under `key`. */
  get(key: string): Promise<unknown>;
  /** Store `value` under `key`. */
  put(key: string, value: unknown): Promise<void>;
  /** Remove `key`. */
  delete(key: string): Promise<boolean>;
  /** Every entry (the object's share of the keys). */
  list(): Promise<Map<string, unknown>>;
  /** When the alarm is set for, in ms, or `null`. */
  getAlarm(): Promise<number | null>;
  /** Set the alarm. */
  setAlarm(scheduledTime: number): Promise<void>;
}

/** The part of a Durable Object's state (`DurableObjectState`) the object uses. */
export interface DurableObjectStateLike {
  /** The object's storage. */
  storage: DurableObjectStorageLike;
}

interface Stored {
  /** The value. */
  v: string;
  /** Expiry, ms since the epoch. */
  x: number;
}

/** Largest key and value the object takes (Durable Object storage: 2 KiB keys, 128 KiB values). */
const MAX_KEY = 2048;
const MAX_VALUE = 128 * 1024 - 64;
/** The most keys of one `getMany`. */
const MAX_KEYS = 16;
/** The alarm runs this long after the first expiry, to clear several entries at once. */
const SWEEP_SLACK_MS = 60_000;

function isStored(v: unknown): v is Stored {
  const s = v as Partial<Stored> | null | undefined;
  return typeof s?.v === "string" && typeof s.x === "number";
}

function parseRequest(body: unknown): StoreRequest | string {
  const r = body as Record<string, unknown> | null;
  if (r === null || typeof r !== "object") return "a JSON object is expected";
  const { op, key, keys } = r;
  if (op === "getMany") {
    const good = Array.isArray(keys) && keys.length >= 1 && keys.length <= MAX_KEYS &&
      keys.every((k) => typeof k === "string" && k !== "" && k.length <= MAX_KEY);
    return good ? { op, keys: keys as string[] } : `keys must be 1 to ${MAX_KEYS} keys`;
  }
  if (typeof key !== "string" || key === "" || key.length > MAX_KEY) {
    return `key must be a string of 1 to ${MAX_KEY} characters`;
  }
  if (op === "get" || op === "delete") return { op, key };
  if (op !== "put" && op !== "putIfAbsent") {
    return "op must be get, getMany, put, delete or putIfAbsent";
  }
  const { value, ttlSeconds } = r;
  if (typeof value !== "string" || value.length > MAX_VALUE) {
    return `value must be a string of at most ${MAX_VALUE} characters`;
  }
  if (typeof ttlSeconds !== "number" || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    return "ttlSeconds must be a positive number";
  }
  return { op, key, value, ttlSeconds };
}

const reply = (result: unknown): Response =>
  new Response(JSON.stringify({ result }), { headers: { "content-type": "application/json" } });

/**
 * The Durable Object class of {@linkcode durableObjectStore}. Export it from
 * the Worker's entry under the class name of the binding's migration, and
 * bind it; the store sends it one request per operation.
 *
 * Each object keeps its entries with their expiry in its storage. Its
 * operations run one after another (one object runs one request at a time,
 * and this one also queues its own), so `putIfAbsent` reads and writes with
 * nothing in between. Expired entries are not served and are deleted when
 * read; an alarm clears the rest, so an object whose entries have all expired
 * holds no storage.
 *
 * @example The Worker's entry and its wrangler.toml
 * ```ts ignore
 * // [[durable_objects.bindings]]
 * // name = "AUTH_STORE"
 * // class_name = "AuthLiteStoreObject"
 * // [[migrations]]
 * // tag = "v1"
 * // new_sqlite_classes = ["AuthLiteStoreObject"]
 * export { AuthLiteStoreObject } from "authlite";
 * ```
 */
export class AuthLiteStoreObject {
  #storage: DurableObjectStorageLike;
  #queue: Promise<unknown> = Promise.resolve();
  /** The alarm as last read or set; `undefined` until read. */
  #alarm: number | null | undefined = undefined;

  /**
   * Called by the runtime.
   *
   * @param state the object's state (its storage)
   * @param _env the Worker's bindings (unused)
   */
  constructor(state: DurableObjectStateLike, _env?: unknown) {
    this.#storage = state.storage;
  }

  /**
   * One store operation: a POST with a JSON {@linkcode StoreRequest}.
   *
   * @param request the operation
   * @returns `200 {"result": ...}`, or `400` naming what is wrong with the request
   */
  async fetch(request: Request): Promise<Response> {
    if (request.method !== "POST") return new Response("Method not allowed", { status: 405 });
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return new Response("Invalid request: malformed JSON", { status: 400 });
    }
    const op = parseRequest(body);
    if (typeof op === "string") return new Response(`Invalid request: ${op}`, { status: 400 });
    return reply(await this.#serial(() => this.#run(op)));
  }

  /**
   * Called by the runtime at the alarm: deletes the expired entries and sets
   * the alarm for the next expiry, if any.
   *
   * @returns when the sweep is done
   */
  alarm(): Promise<void> {
    return this.#serial(async () => {
      this.#alarm = null;
      const now = Date.now();
      let next = Infinity;
      for (const [key, stored] of await this.#storage.list()) {
        if (!isStored(stored) || stored.x <= now) await this.#storage.delete(key);
        else next = Math.min(next, stored.x);
      }
      if (next !== Infinity) await this.#scheduleSweep(next);
    });
  }

  #serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #live(key: string): Promise<Stored | null> {
    const stored = await this.#storage.get(key);
    if (stored === undefined) return null;
    if (isStored(stored) && stored.x > Date.now()) return stored;
    await this.#storage.delete(key);
    return null;
  }

  async #run(op: StoreRequest): Promise<unknown> {
    switch (op.op) {
      case "get":
        return (await this.#live(op.key))?.v ?? null;
      case "getMany": {
        const out: (string | null)[] = [];
        for (const key of op.keys) out.push((await this.#live(key))?.v ?? null);
        return out;
      }
      case "delete":
        await this.#storage.delete(op.key);
        return true;
      case "putIfAbsent":
        if ((await this.#live(op.key)) !== null) return false;
        await this.#write(op.key, op.value, op.ttlSeconds);
        return true;
      case "put":
        await this.#write(op.key, op.value, op.ttlSeconds);
        return true;
    }
  }

  async #write(key: string, value: string, ttlSeconds: number): Promise<void> {
    const x = Date.now() + ttlSeconds * 1000;
    await this.#storage.put(key, { v: value, x } satisfies Stored);
    await this.#scheduleSweep(x);
  }

  async #scheduleSweep(expiry: number): Promise<void> {
    if (this.#alarm === undefined) this.#alarm = await this.#storage.getAlarm();
    if (this.#alarm !== null && this.#alarm <= expiry + SWEEP_SLACK_MS) return;
    this.#alarm = expiry + SWEEP_SLACK_MS;
    await this.#storage.setAlarm(this.#alarm);
  }
}
