/**
 * The token-set cache: validated token sets kept in a {@linkcode KVStore}, so
 * that a request with a good session costs no upstream round-trip.
 *
 * - Keys are `authlite:ts:v1:<kind>:<HMAC-SHA-256 of the token>`, never the token.
 * - Values are AES-256-GCM encrypted and authenticated, with the key string as
 *   additional data; the entry's expiry is inside the value and checked on read.
 * - Both keys come from the secret key through HKDF (Web Crypto only).
 * - A store that throws, times out or returns garbage is a miss, reported
 *   through `onError`; it never makes a token valid and never fails a call.
 * - Concurrent validations of one token set share one upstream call; a
 *   refresh is done once, and a caller arriving within the grace window with
 *   the refresh token that was just rotated gets the same new pair.
 *
 * @module
 */
import type { KVStore } from "./store.ts";
import type { TokenCheck, TokenPair, TokenSetCacheLike, TokenSetUpstream } from "./types.ts";
import { type CacheKeys, deriveKeys, jwtExpiryMs, mac, open, seal } from "./_crypto.ts";
import { Lru } from "./_lru.ts";
import { SingleFlight } from "./_single_flight.ts";
import { MemoryStore } from "./memory_store.ts";
import { AuthLiteInputError, AuthLiteTokenSetError } from "../errors.ts";

/** Options of the in-process layer in front of a remote store. */
export interface MemoryLayerOptions {
  /** The most entries kept in process (default 1000). */
  maxEntries?: number;
  /**
   * How long an entry may be served from process memory without asking the
   * store, in seconds (default 5). This bounds how late another process
   * sees a `forget` (a revoke) made elsewhere.
   */
  ttlSeconds?: number;
}

/** What went wrong with the store; reported to {@linkcode TokenSetCacheOptions.onError}. */
export interface TokenSetCacheErrorEvent {
  /** The store operation. */
  operation: "get" | "put" | "delete";
  /**
   * `error`: the store threw or rejected; `timeout`: it did not answer within
   * `storeTimeoutMs`; `garbage`: it returned a value that is not an entry of
   * ours (malformed, tampered with, moved from another key, or sealed with
   * another secret).
   */
  reason: "error" | "timeout" | "garbage";
  /** The store's own error, when `reason` is `error`. The store never sees a token or the secret. */
  error?: unknown;
}

/** Counters of a {@linkcode TokenSetCache}, for metrics. */
export interface TokenSetCacheStats {
  /** Answers from the in-process layer (no store call). */
  memoryHits: number;
  /** Answers from the store. */
  storeHits: number;
  /** Lookups that found nothing usable. */
  misses: number;
  /** Refreshed pairs served from the grace window. */
  graceHits: number;
  /** Validations sent upstream. */
  upstreamValidations: number;
  /** Refreshes sent upstream. */
  upstreamRefreshes: number;
  /** Store calls that threw or rejected. */
  storeErrors: number;
  /** Store calls that timed out. */
  storeTimeouts: number;
  /** Store values that were not valid entries. */
  garbage: number;
}

/** Options of {@linkcode TokenSetCache}. */
export interface TokenSetCacheOptions {
  /** Where entries are kept. */
  store: KVStore;
  /** The organisation's secret key: keys and values are derived from it. */
  secretKey: string;
  /** Lifetime of an entry in seconds (default 60), never beyond the token's expiry. */
  ttlSeconds?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
  /**
   * How long, in seconds, a refreshed pair is handed to callers that still
   * present the old refresh token (default 30; 0 disables).
   */
  graceSeconds?: number;
  /** Bound on each store call in milliseconds (default 250); a slower call is a miss. */
  storeTimeoutMs?: number;
  /**
   * The in-process layer of decrypted entries in front of the store (default
   * `{ maxEntries: 1000, ttlSeconds: 5 }`); `false` disables it. A hit there
   * costs one keyed hash and no store call and no decryption, also in front
   * of a `memoryStore()`.
   */
  memoryLayer?: MemoryLayerOptions | false;
  /** Prefix of every store key (default `"authlite:ts:v1:"`). */
  keyPrefix?: string;
  /** Called when the store fails; the call itself goes on as a cache miss. */
  onError?: (event: TokenSetCacheErrorEvent) => void;
}

interface ValidEntry {
  t: "at";
  /** Expiry, ms. */
  x: number;
}

interface GraceEntry {
  t: "rt";
  x: number;
  /** The new access token. */
  a: string;
  /** The new refresh token. */
  r: string;
  /** Keyed hash of the access token that was refreshed. */
  o: string;
}

type Entry = ValidEntry | GraceEntry;

type StoreResult<T> = { ok: true; value: T } | { ok: false };

const TIMEOUT: unique symbol = Symbol("timeout");

function positive(name: string, value: number, allowZero = false): number {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)
  ) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      `Invalid option: ${name} must be a ${allowZero ? "non-negative" : "positive"} number`,
    );
  }
  return value;
}

function requireToken(name: string, token: unknown): asserts token is string {
  if (typeof token !== "string" || token === "") {
    throw new AuthLiteInputError(
      "ERR_BAD_INPUT",
      `Invalid argument: ${name} must be a non-empty string`,
    );
  }
}

function parseEntry(text: string): Entry | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const e = v as Record<string, unknown>;
  if (typeof e.x !== "number" || !Number.isFinite(e.x)) return null;
  if (e.t === "at") return { t: "at", x: e.x };
  if (
    e.t === "rt" && typeof e.a === "string" && typeof e.r === "string" && typeof e.o === "string" &&
    e.a !== "" && e.r !== ""
  ) {
    return { t: "rt", x: e.x, a: e.a, r: e.r, o: e.o };
  }
  return null;
}

/**
 * Validated token sets kept in a {@linkcode KVStore}: what the client uses
 * when its `tokenCache` option is set.
 *
 * @example
 * ```ts
 * import { TokenSetCache } from "./token_set_cache.ts";
 * import { memoryStore } from "./memory_store.ts";
 * const cache = new TokenSetCache({ store: memoryStore(), secretKey: "s3cret" });
 * let calls = 0;
 * const upstream = {
 *   validate: () => Promise.resolve(++calls > 0),
 *   refresh: () => Promise.reject(new Error("Not used")),
 * };
 * await cache.validateAccessToken("token", upstream);
 * await cache.validateAccessToken("token", upstream);
 * console.assert(calls === 1);
 * ```
 */
export class TokenSetCache implements TokenSetCacheLike {
  #store: KVStore;
  #secret: string;
  #ttlMs: number;
  #graceMs: number;
  #timeoutMs: number;
  #now: () => number;
  #prefix: string;
  #onError: ((event: TokenSetCacheErrorEvent) => void) | undefined;
  #layer: Lru<Entry> | null;
  /** The store is a memoryStore: in process, so no timeout (a timer per call costs more than the call). */
  #local: boolean;
  #layerTtlMs: number;
  #keys: Promise<CacheKeys> | null = null;
  #flights = new SingleFlight();
  #epoch = 0;
  #stats: TokenSetCacheStats = {
    memoryHits: 0,
    storeHits: 0,
    misses: 0,
    graceHits: 0,
    upstreamValidations: 0,
    upstreamRefreshes: 0,
    storeErrors: 0,
    storeTimeouts: 0,
    garbage: 0,
  };

  /**
   * A cache over `options.store`. Synchronous and free of I/O: the keys are
   * derived on first use.
   *
   * @param options the store, the secret and the lifetimes
   * @throws {AuthLiteInputError} `ERR_CONFIG` when an option is invalid
   */
  constructor(options: TokenSetCacheOptions) {
    const store = options?.store;
    if (
      typeof store?.get !== "function" || typeof store.put !== "function" ||
      typeof store.delete !== "function"
    ) {
      throw new AuthLiteInputError("ERR_CONFIG", "Invalid option: store must be a KVStore");
    }
    if (typeof options.secretKey !== "string" || options.secretKey === "") {
      throw new AuthLiteInputError(
        "ERR_CONFIG",
        "Invalid option: secretKey must be a non-empty string",
      );
    }
    this.#store = store;
    this.#secret = options.secretKey;
    this.#ttlMs = positive("ttlSeconds", options.ttlSeconds ?? 60) * 1000;
    this.#graceMs = positive("graceSeconds", options.graceSeconds ?? 30, true) * 1000;
    this.#timeoutMs = positive("storeTimeoutMs", options.storeTimeoutMs ?? 250);
    this.#now = options.now ?? Date.now;
    this.#prefix = options.keyPrefix ?? "authlite:ts:v1:";
    this.#onError = options.onError;
    this.#local = store instanceof MemoryStore;
    const layer = options.memoryLayer ?? {};
    if (layer === false) {
      this.#layer = null;
      this.#layerTtlMs = 0;
    } else {
      const max = layer.maxEntries ?? 1000;
      if (!Number.isSafeInteger(max) || max < 1) {
        throw new AuthLiteInputError(
          "ERR_CONFIG",
          "Invalid option: memoryLayer.maxEntries must be a positive integer",
        );
      }
      this.#layerTtlMs = positive("memoryLayer.ttlSeconds", layer.ttlSeconds ?? 5) * 1000;
      this.#layer = new Lru(max, this.#now);
    }
  }

  /**
   * A snapshot of the counters.
   *
   * @returns hits, misses, upstream calls and store failures so far
   */
  stats(): TokenSetCacheStats {
    return { ...this.#stats };
  }

  /**
   * Whether `accessToken` is valid: from the cache, or asked upstream (and
   * then cached if valid). Concurrent calls for one token share one upstream call.
   *
   * @param accessToken the access token
   * @param upstream the client's upstream operations
   * @returns `true` when valid
   * @throws {AuthLiteInputError} `ERR_BAD_INPUT` when the token is not a non-empty string
   * @throws whatever `upstream.validate` throws (an outage is not "invalid")
   */
  async validateAccessToken(accessToken: string, upstream: TokenSetUpstream): Promise<boolean> {
    requireToken("accessToken", accessToken);
    const keys = await this.#derive();
    const atMac = mac(keys.mac, accessToken);
    const atKey = `${this.#prefix}at:${atMac}`;
    if (this.#layerGet(atKey, "at") !== null) return true;
    return this.#flights.run(`a:${atKey}`, this.#epoch, async () => {
      if ((await this.#read(keys, atKey, "at")) !== null) return true;
      return this.#askUpstream(keys, accessToken, atKey, upstream);
    });
  }

  /**
   * `validateTokenSet` through the cache: a cached valid access token answers
   * `{state: true}` with no upstream call; otherwise the access token is
   * validated upstream and, if invalid, the refresh token exchanged once
   * (`{state: false}` with the new pair).
   *
   * @param accessToken the access token
   * @param refreshToken the refresh token, if any
   * @param upstream the client's upstream operations
   * @returns `{state, access, refresh}`
   * @throws {AuthLiteTokenSetError} when the access token is invalid and there is no refresh token
   * @throws {AuthLiteInputError} `ERR_BAD_INPUT` when a token is not a non-empty string
   * @throws whatever `upstream.validate` or `upstream.refresh` throws
   */
  async validateTokenSet(
    accessToken: string,
    refreshToken: string | undefined,
    upstream: TokenSetUpstream,
  ): Promise<TokenCheck> {
    requireToken("accessToken", accessToken);
    if (refreshToken !== undefined) requireToken("refreshToken", refreshToken);
    const keys = await this.#derive();
    const atMac = mac(keys.mac, accessToken);
    const atKey = `${this.#prefix}at:${atMac}`;
    const valid: TokenCheck = {
      state: true,
      access: accessToken,
      refresh: refreshToken ?? null,
    };
    if (this.#layerGet(atKey, "at") !== null) return valid;
    const rtKey = refreshToken === undefined
      ? null
      : `${this.#prefix}rt:${mac(keys.mac, refreshToken)}`;
    return this.#flights.run(`s:${atKey}|${rtKey ?? ""}`, this.#epoch, async () => {
      if ((await this.#read(keys, atKey, "at")) !== null) return { ...valid };
      if (rtKey !== null) {
        const grace = await this.#grace(keys, rtKey, atMac);
        if (grace !== null) return { state: false, access: grace.a, refresh: grace.r };
      }
      if (await this.#askUpstream(keys, accessToken, atKey, upstream)) return { ...valid };
      if (refreshToken === undefined || rtKey === null) {
        throw new AuthLiteTokenSetError("Access token invalid and no refresh token: log in again");
      }
      const pair = await this.#refresh(keys, refreshToken, rtKey, atMac, upstream);
      return { state: false, access: pair.accessToken, refresh: pair.refreshToken };
    });
  }

  /**
   * Forget every entry of these tokens, in process and in the store, so the
   * next validation of any of them goes upstream (in other processes sharing
   * the store too, once their in-process layer has expired, and on Workers
   * KV once the delete has propagated). A store failure is reported through
   * `onError`, not thrown.
   *
   * @param tokens access or refresh tokens
   * @returns when the store has been told
   */
  async forget(tokens: readonly string[]): Promise<void> {
    this.#epoch++;
    const keys = await this.#derive();
    const storeKeys: string[] = [];
    for (const token of tokens) {
      if (typeof token !== "string" || token === "") continue;
      const m = mac(keys.mac, token);
      storeKeys.push(`${this.#prefix}at:${m}`, `${this.#prefix}rt:${m}`);
    }
    for (const key of storeKeys) this.#layer?.delete(key);
    await Promise.all(storeKeys.map((key) => this.#call("delete", () => this.#store.delete(key))));
  }

  #derive(): Promise<CacheKeys> {
    if (this.#keys === null) {
      const keys = deriveKeys(this.#secret);
      this.#keys = keys;
      keys.catch(() => {
        if (this.#keys === keys) this.#keys = null;
      });
    }
    return this.#keys;
  }

  #askUpstream(
    keys: CacheKeys,
    accessToken: string,
    atKey: string,
    upstream: TokenSetUpstream,
  ): Promise<boolean> {
    return this.#flights.run(`u:${atKey}`, this.#epoch, async () => {
      const epoch = this.#epoch;
      this.#stats.upstreamValidations++;
      const ok = await upstream.validate(accessToken);
      if (ok === true && epoch === this.#epoch) {
        await this.#writeValid(keys, atKey, accessToken, epoch);
      }
      return ok === true;
    });
  }

  #refresh(
    keys: CacheKeys,
    refreshToken: string,
    rtKey: string,
    atMac: string,
    upstream: TokenSetUpstream,
  ): Promise<TokenPair> {
    return this.#flights.run(`r:${rtKey}`, this.#epoch, async () => {
      const grace = await this.#grace(keys, rtKey, atMac);
      if (grace !== null) return { accessToken: grace.a, refreshToken: grace.r };
      const epoch = this.#epoch;
      this.#stats.upstreamRefreshes++;
      const pair = await upstream.refresh(refreshToken);
      if (epoch === this.#epoch) {
        const newAtKey = `${this.#prefix}at:${mac(keys.mac, pair.accessToken)}`;
        const writes = [this.#writeValid(keys, newAtKey, pair.accessToken, epoch)];
        if (this.#graceMs > 0) {
          const grace: GraceEntry = {
            t: "rt",
            x: this.#now() + this.#graceMs,
            a: pair.accessToken,
            r: pair.refreshToken,
            o: atMac,
          };
          writes.push(this.#write(keys, rtKey, grace, epoch));
        }
        await Promise.all(writes);
      }
      return { accessToken: pair.accessToken, refreshToken: pair.refreshToken };
    });
  }

  /**
   * The pair a refresh of this refresh token gave a moment ago, for a caller
   * that still holds the pair it replaced: only with the same access token
   * (the refresh token alone unlocks nothing), and only while the new access
   * token is still cached as valid, so that revoking the new pair (a logout)
   * also closes the window.
   */
  async #grace(keys: CacheKeys, rtKey: string, atMac: string): Promise<GraceEntry | null> {
    if (this.#graceMs <= 0) return null;
    const grace = await this.#read(keys, rtKey, "rt");
    if (grace === null || grace.o !== atMac) return null;
    const newAtKey = `${this.#prefix}at:${mac(keys.mac, grace.a)}`;
    if ((await this.#read(keys, newAtKey, "at")) === null) return null;
    this.#stats.graceHits++;
    return grace;
  }

  #writeValid(
    keys: CacheKeys,
    atKey: string,
    accessToken: string,
    epoch: number,
  ): Promise<void> {
    const now = this.#now();
    const exp = jwtExpiryMs(accessToken);
    const x = Math.min(now + this.#ttlMs, exp ?? Infinity);
    if (x - now < 1000) return Promise.resolve();
    return this.#write(keys, atKey, { t: "at", x }, epoch);
  }

  /**
   * Write an entry learnt from an upstream answer given at `epoch`. A
   * `forget()` since then wins: before the put the write is dropped, and
   * after it (a delete racing the put) the entry is deleted again.
   */
  async #write(keys: CacheKeys, key: string, entry: Entry, epoch: number): Promise<void> {
    const now = this.#now();
    this.#layerSet(key, entry);
    const sealed = await seal(keys.aead, JSON.stringify(entry), key);
    if (epoch !== this.#epoch) {
      this.#layer?.delete(key);
      return;
    }
    const ttlSeconds = Math.max(1, Math.ceil((entry.x - now) / 1000));
    await this.#call("put", () => this.#store.put(key, sealed, { ttlSeconds }));
    if (epoch !== this.#epoch) {
      this.#layer?.delete(key);
      await this.#call("delete", () => this.#store.delete(key));
    }
  }

  #layerGet<K extends Entry["t"]>(key: string, kind: K): Extract<Entry, { t: K }> | null {
    const entry = this.#layer?.get(key);
    if (entry === undefined || entry.t !== kind || entry.x <= this.#now()) return null;
    this.#stats.memoryHits++;
    return entry as Extract<Entry, { t: K }>;
  }

  #layerSet(key: string, entry: Entry): void {
    this.#layer?.set(key, entry, Math.min(entry.x, this.#now() + this.#layerTtlMs));
  }

  async #read<K extends Entry["t"]>(
    keys: CacheKeys,
    key: string,
    kind: K,
  ): Promise<Extract<Entry, { t: K }> | null> {
    const cached = this.#layerGet(key, kind);
    if (cached !== null) return cached;
    const got = await this.#call("get", () => this.#store.get(key));
    if (!got.ok || got.value === null || got.value === undefined) {
      this.#stats.misses++;
      return null;
    }
    const raw: unknown = got.value;
    const text = typeof raw === "string" ? await open(keys.aead, raw, key) : null;
    const entry = text === null ? null : parseEntry(text);
    if (entry === null || entry.t !== kind) {
      this.#stats.garbage++;
      this.#stats.misses++;
      this.#report({ operation: "get", reason: "garbage" });
      return null;
    }
    if (entry.x <= this.#now()) {
      this.#stats.misses++;
      return null;
    }
    this.#stats.storeHits++;
    this.#layerSet(key, entry);
    return entry as Extract<Entry, { t: K }>;
  }

  async #call<T>(
    operation: "get" | "put" | "delete",
    fn: () => Promise<T>,
  ): Promise<StoreResult<T>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      if (this.#local) return { ok: true, value: await fn() };
      const work = Promise.resolve().then(fn);
      work.catch(() => {});
      const timeout = new Promise<typeof TIMEOUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMEOUT), this.#timeoutMs);
      });
      const result = await Promise.race([work, timeout]);
      if (result === TIMEOUT) {
        this.#stats.storeTimeouts++;
        this.#report({ operation, reason: "timeout" });
        return { ok: false };
      }
      return { ok: true, value: result };
    } catch (error) {
      this.#stats.storeErrors++;
      this.#report({ operation, reason: "error", error });
      return { ok: false };
    } finally {
      clearTimeout(timer);
    }
  }

  #report(event: TokenSetCacheErrorEvent): void {
    try {
      this.#onError?.(event);
    } catch {
      // A failing hook must not turn a cache miss into a failed validation.
    }
  }
}
