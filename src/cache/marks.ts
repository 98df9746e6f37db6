/**
 * Role marks in the shared store, so that a change of rights made by one
 * instance is honoured by every instance sharing the store:
 *
 * - a **generation** of the organisation's roles, bumped by any instance's
 *   own role or permission change (`authlite:rm:v1:gen`);
 * - a per-user **"roles changed" mark**, the time of the last change of a
 *   user's roles made through any instance (`authlite:rm:v1:u:<keyed hash of
 *   the uid>`: the store never sees a uid).
 *
 * Reads are answered from process memory for at most `syncMs` (default 1 s),
 * so a change made elsewhere is seen within that bound plus one store round
 * trip. A store that fails or is slow never makes old rights look current:
 * the generation then reads as "changed" and a user's mark as "just now".
 *
 * @module
 */
import type { KVStore } from "./store.ts";
import { MemoryStore } from "./memory_store.ts";
import { GuardedStore } from "./_store_call.ts";
import type { HmacSha256 } from "../_hmac.ts";
import { labelledKey } from "../_kdf.ts";
import { encodeBase64url } from "../_base64url.ts";
import { BoundedMap } from "../_bounded_map.ts";
import { AuthLiteInputError } from "../errors.ts";
import type { AuthLiteObserver } from "../_events.ts";

/** Options of {@linkcode RoleMarks}. */
export interface RoleMarksOptions {
  /** The shared store (default: a store of this process alone). */
  store?: KVStore | undefined;
  /** The organisation's secret key: the uid's keyed hash is derived from it. */
  secretKey: string;
  /** How long a mark read from the store is trusted in process, in ms (default 1000). */
  syncMs?: number;
  /** How long a user's mark is kept in the store, in seconds (default 120). */
  markTtlSeconds?: number;
  /** Bound on each store call in ms (default 250); a slower call counts as a failure. */
  storeTimeoutMs?: number;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /** Prefix of the store keys (default `authlite:rm:v1:`). */
  keyPrefix?: string;
  /** Told of every store call (with its duration); must be cheap and must not throw. */
  observe?: AuthLiteObserver | undefined;
}

interface Seen<T> {
  value: T;
  at: number;
}

const GENERATION_TTL_SECONDS = 7 * 24 * 3600;
const MAX_USERS = 10_000;

function randomId(): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(12)));
}

/**
 * The generation of the organisation's roles and the users' "roles changed"
 * marks, kept in a {@linkcode KVStore} shared by every instance.
 *
 * @example
 * ```ts
 * import { RoleMarks } from "./marks.ts";
 * import { memoryStore } from "@authlite/authlite";
 * const store = memoryStore();
 * const a = new RoleMarks({ store, secretKey: "s3cret" });
 * const b = new RoleMarks({ store, secretKey: "s3cret", syncMs: 0 });
 * const before = await b.generation();
 * await a.bumpGeneration();
 * console.assert((await b.generation()) !== before);
 * await a.markUser("uid_1");
 * console.assert((await b.userChangedAt("uid_1")) > 0);
 * ```
 */
export class RoleMarks {
  #store: GuardedStore;
  #mac: HmacSha256;
  #syncMs: number;
  #markTtl: number;
  #now: () => number;
  #prefix: string;
  #generation: Seen<string> | undefined;
  #generationRead: Promise<string> | undefined;
  #users = new BoundedMap<string, Seen<number>>(MAX_USERS);

  /**
   * @param options the store, the secret and the bounds
   * @throws {AuthLiteInputError} `ERR_CONFIG` for a negative bound
   */
  constructor(options: RoleMarksOptions) {
    this.#now = options.now ?? Date.now;
    const store = options.store ?? new MemoryStore(options.now ? { now: options.now } : {});
    this.#store = new GuardedStore(store, {
      timeoutMs: options.storeTimeoutMs ?? 250,
      now: this.#now,
      observe: options.observe,
    });
    this.#mac = labelledKey(options.secretKey, "authlite-role-marks-v1");
    this.#syncMs = options.syncMs ?? 1000;
    this.#markTtl = options.markTtlSeconds ?? 120;
    this.#prefix = options.keyPrefix ?? "authlite:rm:v1:";
    for (
      const [name, v] of [["syncMs", this.#syncMs], ["markTtlSeconds", this.#markTtl]] as const
    ) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        throw new AuthLiteInputError("ERR_CONFIG", `Invalid option: ${name} must be non-negative`);
      }
    }
  }

  /**
   * The organisation's role generation: a value that changes whenever an
   * instance changes a role or a permission. Read from the store at most
   * once per `syncMs`; a store failure answers a fresh value (as if changed).
   *
   * @returns an opaque value; compare it with an earlier one
   */
  generation(): Promise<string> {
    const seen = this.#generation;
    if (seen !== undefined && this.#now() - seen.at < this.#syncMs) {
      return Promise.resolve(seen.value);
    }
    if (this.#generationRead !== undefined) return this.#generationRead;
    const at = this.#now();
    const read = this.#store.get(this.#key("gen")).then((result) => {
      // A failure reads as a change (the role cache reloads), once per syncMs.
      const value = result.ok ? result.value ?? "none" : `failed:${randomId()}`;
      this.#generation = { value, at };
      return value;
    }).finally(() => {
      this.#generationRead = undefined;
    });
    this.#generationRead = read;
    return read;
  }

  /**
   * Record a change of the organisation's roles or permissions: every
   * instance sees another generation within `syncMs`.
   *
   * @returns when the store has the new generation (or failed to take it)
   */
  async bumpGeneration(): Promise<void> {
    const value = randomId();
    this.#generation = { value, at: this.#now() };
    await this.#write(this.#key("gen"), value, GENERATION_TTL_SECONDS);
  }

  /**
   * When the roles of `uid` were last changed through any instance, in ms
   * since the epoch; 0 when no change is recorded. Read from the store at
   * most once per `syncMs`; a store failure answers "now".
   *
   * @param uid the user id
   * @returns the time of the last change, 0, or now
   */
  async userChangedAt(uid: string): Promise<number> {
    const now = this.#now();
    // In process, by uid (the process has it anyway); the store sees a keyed hash.
    const seen = this.#users.get(uid);
    if (seen !== undefined && now - seen.at < this.#syncMs) return seen.value;
    const result = await this.#store.get(this.#userKey(uid));
    if (!result.ok) return this.#now();
    const parsed = result.value === null ? 0 : Number(result.value);
    const value = Number.isFinite(parsed) && parsed >= 0 ? parsed : this.#now();
    const current = Math.max(value, this.#users.get(uid)?.value ?? 0);
    this.#remember(uid, { value: current, at: now });
    return current;
  }

  /**
   * Record that the roles of `uid` changed now: every instance sees it within
   * `syncMs`; this one at once.
   *
   * @param uid the user id
   * @returns when the store has the mark (or failed to take it)
   */
  async markUser(uid: string): Promise<void> {
    const now = this.#now();
    this.#remember(uid, { value: now, at: now });
    await this.#write(this.#userKey(uid), String(now), this.#markTtl);
  }

  #remember(uid: string, seen: Seen<number>): void {
    this.#users.set(uid, seen);
  }

  #key(name: string): string {
    return `${this.#prefix}${name}`;
  }

  #userKey(uid: string): string {
    return this.#key(`u:${encodeBase64url(this.#mac.sign(uid))}`);
  }

  /**
   * A write that other instances must see (a demotion, a role change): a lost
   * one keeps old rights alive elsewhere for the role TTL, so it follows the
   * store call's policy for writes that must land, the background retries
   * included (a mark only ever makes rights look changed).
   */
  async #write(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.#store.persist(async () => (await this.#store.put(key, value, ttlSeconds)).ok, true);
  }
}
