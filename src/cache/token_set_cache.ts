/**
 * The token-set cache: validated token sets kept in a {@linkcode KVStore}, so
 * that a request with a good session costs no upstream round-trip. It wraps
 * the client's upstream `validate` and `refresh`; the token-set logic itself
 * lives once, in the client.
 *
 * - In process, entries are keyed by the token itself (the process holds it
 *   anyway, nothing leaves it): a hit is one map lookup, no hash, no store call.
 * - In the store, keys are `authlite:ts:v1:<kind>:<HMAC-SHA-256 of the token>`,
 *   never the token; the hash is computed only on an in-process miss.
 * - Values are AES-256-GCM encrypted and authenticated, with the key string as
 *   additional data; the entry's expiry is inside the value and checked on read.
 * - A store that throws, times out or returns garbage is a miss, reported
 *   through `onError`; it never makes a token valid and never fails a call.
 * - Concurrent validations of one token share one upstream call. A refresh is
 *   done once across every instance sharing a store with an atomic
 *   `putIfAbsent` (a claim); the others wait for the winner's pair (the grace
 *   entry), and a caller arriving within the grace window with the pair that
 *   was just rotated gets the same new pair.
 * - Revocations: a tombstone per revoked token and a per-user watermark
 *   ("revoked before") for a sign-out of every session, both in the store;
 *   in-process entries are checked against the store at most every
 *   `memoryLayer.recheckSeconds` (default 1 s). A revoke whose store writes
 *   fail is retried and kept in process: it is never lost.
 *
 * @module
 */
import type { KVStore } from "./store.ts";
import type { ForgetOptions, TokenPair, TokenSetCacheLike, TokenSetUpstream } from "./types.ts";
import { type CacheKeys, deriveKeys, jwtClaims, mac, open, seal } from "./_crypto.ts";
import { Lru } from "./_lru.ts";
import { SingleFlight } from "./_single_flight.ts";
import { MemoryStore } from "./memory_store.ts";
import { AuthLiteInputError, AuthLiteTokenSetError } from "../errors.ts";

/** Options of the in-process layer (valid access tokens, keyed by the token itself). */
export interface MemoryLayerOptions {
  /** The most entries kept in process (default 10 000). */
  maxEntries?: number;
  /** The most bytes of tokens kept in process, roughly (default 16 MiB). */
  maxBytes?: number;
  /**
   * How long an entry may be served from process memory before it is checked
   * against the store again, in seconds (default 1). This bounds how late
   * this process sees a revoke made by another process sharing the store.
   */
  recheckSeconds?: number;
}

/** What went wrong with the store; reported to {@linkcode TokenSetCacheOptions.onError}. */
export interface TokenSetCacheErrorEvent {
  /** The store operation. */
  operation: "get" | "put" | "delete" | "putIfAbsent";
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
  /** Refreshed pairs served from the grace window (refreshed here or by another instance). */
  graceHits: number;
  /** Validations sent upstream. */
  upstreamValidations: number;
  /** Refreshes sent upstream. */
  upstreamRefreshes: number;
  /** Refresh claims lost to another caller (which then waited for its pair). */
  claimsLost: number;
  /** Cached entries refused because of a revocation (tombstone or watermark). */
  revokedRefusals: number;
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
   * present the old pair (default 30; 0 disables, and with it the waiting
   * for another instance's refresh).
   */
  graceSeconds?: number;
  /** Bound on each store call in milliseconds (default 250); a slower call is a miss. */
  storeTimeoutMs?: number;
  /**
   * How long a caller that lost a refresh claim waits for the winner's pair,
   * in milliseconds (default 2000); after that it asks upstream itself.
   */
  claimWaitMs?: number;
  /**
   * The in-process layer of valid access tokens in front of the store
   * (default `{ maxEntries: 10_000, maxBytes: 16 MiB, recheckSeconds: 1 }`);
   * `false` disables it.
   */
  memoryLayer?: MemoryLayerOptions | false;
  /** Prefix of every store key (default `"authlite:ts:v1:"`). */
  keyPrefix?: string;
  /** Called when the store fails; the call itself goes on as a cache miss. */
  onError?: (event: TokenSetCacheErrorEvent) => void;
}

/** A valid access token. */
interface ValidEntry {
  t: "at";
  /** Expiry, ms. */
  x: number;
  /** When the upstream validation (or refresh) that vouched for it was sent, ms. */
  v: number;
  /** The user's key (keyed hash of the JWT `sub`), if the token names one. */
  u?: string;
}

/** A refreshed pair, under the keyed hash of the refresh token it replaced. */
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

/** An access token that was refreshed (so upstream found it invalid), under its own key. */
interface Refreshed {
  t: "rf";
  x: number;
}

/** A revoked token. */
interface Tombstone {
  t: "rv";
  x: number;
}

/** Every token of a user validated before `w` (ms) is revoked. */
interface Watermark {
  t: "wm";
  x: number;
  w: number;
}

type Entry = ValidEntry | Refreshed | GraceEntry | Tombstone | Watermark;
type Kind = Entry["t"];

/** An in-process entry: a valid access token. */
interface LayerEntry {
  /** Served without asking the store until then: min(expiry, last check + recheck). */
  fresh: number;
  /** Expiry, ms. */
  x: number;
  v: number;
  u: string | null;
  bytes: number;
}

type StoreResult<T> = { ok: true; value: T } | { ok: false };

const TIMEOUT: unique symbol = Symbol("timeout");
const TRUE: Promise<boolean> = Promise.resolve(true);
/** Clocks of the instances may differ by this much: a watermark reaches this far ahead. */
const WATERMARK_SKEW_MS = 500;
/** Lifetime of a refresh claim: longer than an upstream refresh takes, short if its winner dies. */
const CLAIM_SECONDS = 10;
const POLL_MS = 25;
const RETRY_DELAYS_MS = [50, 200];
const CLAIM_RETRY_MS = [10, 40, 100];

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

function num(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
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
  if (!num(e.x)) return null;
  switch (e.t) {
    case "at":
      if (!num(e.v)) return null;
      return typeof e.u === "string" ? { t: "at", x: e.x, v: e.v, u: e.u } : {
        t: "at",
        x: e.x,
        v: e.v,
      };
    case "rt":
      if (
        typeof e.a === "string" && typeof e.r === "string" && typeof e.o === "string" &&
        e.a !== "" && e.r !== ""
      ) {
        return { t: "rt", x: e.x, a: e.a, r: e.r, o: e.o };
      }
      return null;
    case "rv":
      return { t: "rv", x: e.x };
    case "rf":
      return { t: "rf", x: e.x };
    case "wm":
      return num(e.w) ? { t: "wm", x: e.x, w: e.w } : null;
  }
  return null;
}

/**
 * The key of a user's watermark, from a token's `sub`: the user id itself, or
 * the `uid` inside it where `sub` is a JSON object (as in TrustAuthX's signed
 * replies), so that every token of one user maps to one key.
 */
function userKey(keys: CacheKeys, sub: string): string {
  let id = sub;
  if (sub.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(sub);
      const uid = (parsed as { uid?: unknown } | null)?.uid;
      if (typeof uid === "string" && uid !== "") id = uid;
    } catch {
      // Not JSON: the sub as it is.
    }
  }
  return mac(keys.mac, `user:${id}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Validated token sets kept in a {@linkcode KVStore}: what the client uses
 * when its `tokenCache` option is set. It wraps the client's upstream
 * operations ({@linkcode TokenSetCache.wrap}).
 *
 * @example
 * ```ts
 * import { TokenSetCache } from "./token_set_cache.ts";
 * import { memoryStore } from "@authlite/authlite";
 * const cache = new TokenSetCache({ store: memoryStore(), secretKey: "s3cret" });
 * let calls = 0;
 * const upstream = cache.wrap({
 *   validate: () => Promise.resolve(++calls > 0),
 *   refresh: () => Promise.reject(new Error("Not used")),
 * });
 * await upstream.validate("token");
 * await upstream.validate("token");
 * console.assert(calls === 1);
 * ```
 */
export class TokenSetCache implements TokenSetCacheLike {
  #store: KVStore;
  #secret: string;
  #ttlMs: number;
  #graceMs: number;
  #timeoutMs: number;
  #claimWaitMs: number;
  #now: () => number;
  #prefix: string;
  #onError: ((event: TokenSetCacheErrorEvent) => void) | undefined;
  /** Valid access tokens, keyed by the token; insertion order is eviction order. */
  #layer: Map<string, LayerEntry> | null;
  #layerMax: number;
  #layerMaxBytes: number;
  #layerBytes = 0;
  #recheckMs: number;
  /** The store is a memoryStore: in process, so no timeout (a timer per call costs more than the call). */
  #local: boolean;
  #keys: Promise<CacheKeys> | null = null;
  #flights = new SingleFlight();
  /** Tokens revoked by this process: never cached again here, store entries refused. */
  #tombstones: Lru<true>;
  /** Tombstones of every forget(), known valid or not: they only guard writes racing it. */
  #provisional: Lru<true>;
  /** Watermarks this process set (user key → revoked-before, ms), in case the store lost them. */
  #watermarks: Lru<number>;
  #stats: TokenSetCacheStats = {
    memoryHits: 0,
    storeHits: 0,
    misses: 0,
    graceHits: 0,
    upstreamValidations: 0,
    upstreamRefreshes: 0,
    claimsLost: 0,
    revokedRefusals: 0,
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
    this.#claimWaitMs = positive("claimWaitMs", options.claimWaitMs ?? 2000, true);
    this.#now = options.now ?? Date.now;
    this.#prefix = options.keyPrefix ?? "authlite:ts:v1:";
    this.#onError = options.onError;
    this.#local = store instanceof MemoryStore;
    this.#tombstones = new Lru(10_000, this.#now);
    this.#provisional = new Lru(10_000, this.#now);
    this.#watermarks = new Lru(10_000, this.#now);
    const layer = options.memoryLayer ?? {};
    if (layer === false) {
      this.#layer = null;
      this.#layerMax = 0;
      this.#layerMaxBytes = 0;
      this.#recheckMs = 0;
    } else {
      const max = layer.maxEntries ?? 10_000;
      if (!Number.isSafeInteger(max) || max < 1) {
        throw new AuthLiteInputError(
          "ERR_CONFIG",
          "Invalid option: memoryLayer.maxEntries must be a positive integer",
        );
      }
      this.#layerMax = max;
      this.#layerMaxBytes = positive("memoryLayer.maxBytes", layer.maxBytes ?? 16 * 1024 * 1024);
      this.#recheckMs = positive("memoryLayer.recheckSeconds", layer.recheckSeconds ?? 1) * 1000;
      this.#layer = new Map();
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
   * The upstream operations with this cache in front: `validate` answers a
   * cached valid token with no upstream call (concurrent misses share one
   * call), and `refresh` is done once per refresh token across every
   * instance sharing the store, the others handed the same new pair.
   *
   * @param upstream the client's upstream operations
   * @returns the same operations, cached and coordinated
   * @throws nothing itself; the operations throw what `upstream` throws,
   *   `AuthLiteInputError` (`ERR_BAD_INPUT`) for a token that is not a
   *   non-empty string, and `AuthLiteTokenSetError` for a rejected refresh token
   *
   * @example
   * ```ts
   * import { TokenSetCache } from "./token_set_cache.ts";
   * import { memoryStore } from "@authlite/authlite";
   * const cache = new TokenSetCache({ store: memoryStore(), secretKey: "s3cret" });
   * const cached = cache.wrap({
   *   validate: () => Promise.resolve(true),
   *   refresh: () => Promise.reject(new Error("Not used")),
   * });
   * console.assert(await cached.validate("token"));
   * ```
   */
  wrap(upstream: TokenSetUpstream): TokenSetUpstream {
    const layer = this.#layer;
    // The hot path: one map lookup and one clock read.
    const cached = (accessToken: string): boolean => {
      const hit = layer?.get(accessToken);
      if (hit !== undefined && hit.fresh > this.#now()) {
        this.#stats.memoryHits++;
        return true;
      }
      return false;
    };
    return {
      cached,
      validate: (accessToken: string): Promise<boolean> =>
        cached(accessToken) ? TRUE : this.#validate(accessToken, upstream),
      refresh: (refreshToken: string, accessToken?: string): Promise<TokenPair> =>
        this.#refresh(refreshToken, accessToken, upstream),
    };
  }

  /**
   * Forget every entry of these tokens, in process and in the store, so the
   * next validation of any of them goes upstream, here and (within
   * `memoryLayer.recheckSeconds` with a strongly consistent store) on every
   * instance sharing the store. Tokens the cache knew as valid, or whose
   * revoke the upstream confirmed, also get a tombstone in the store, which a
   * validation racing the revoke cannot overwrite. With `all` and a confirmed
   * revoke, every session of the user validated before now is refused (a
   * watermark). A store failure is retried, reported through `onError`, and
   * the revoke is kept in process: never lost, never thrown.
   *
   * @param tokens access or refresh tokens
   * @param options whether every token of the user was revoked, and whether the upstream confirmed it
   * @returns when the store has been told (or has failed every attempt)
   * @throws nothing
   *
   * @example
   * ```ts
   * import { TokenSetCache } from "./token_set_cache.ts";
   * import { memoryStore } from "@authlite/authlite";
   * const cache = new TokenSetCache({ store: memoryStore(), secretKey: "s3cret" });
   * await cache.forget(["access-token", "refresh-token"], { confirmed: true });
   * ```
   */
  async forget(tokens: readonly string[], options: ForgetOptions = {}): Promise<void> {
    const now = this.#now();
    const lifetime = this.#ttlMs + this.#graceMs + this.#recheckMs + 1000;
    const given = tokens.filter((t): t is string => typeof t === "string" && t !== "");
    let known = options.confirmed === true;
    for (const token of given) {
      // At once, before any await: a validation racing this revoke loses.
      this.#provisional.set(token, true, now + lifetime);
      if (this.#layerDelete(token)) known = true;
      this.#flights.drop(`a:${token}`);
    }
    // Only a token that was valid (or whose revoke the upstream confirmed)
    // earns a kept tombstone, in process and in the store: a stream of bogus
    // logouts can neither write entries for anybody nor push out the
    // tombstone of a real revoke (they only churn the provisional ones).
    if (known) { for (const token of given) this.#tombstones.set(token, true, now + lifetime); }
    const keys = await this.#derive();
    const macs = given.map((t) => mac(keys.mac, t));
    if (!known) {
      const found = await Promise.all(
        macs.map((m) => this.#read(keys, this.#key("at", m), "at", "rf")),
      );
      known = found.some((e) => e?.t === "at");
      if (known) { for (const token of given) this.#tombstones.set(token, true, now + lifetime); }
    }
    const work: Promise<void>[] = [];
    for (const m of macs) {
      if (known) {
        const stone: Tombstone = { t: "rv", x: now + lifetime };
        work.push(this.#persist(() => this.#put(keys, this.#key("rv", m), stone)));
      }
      for (const kind of ["at", "rt"] as const) {
        const key = this.#key(kind, m);
        work.push(
          this.#persist(async () => (await this.#call("delete", () => this.#store.delete(key))).ok),
        );
      }
    }
    if (options.all === true && options.confirmed === true) {
      const users = new Set<string>();
      for (const token of given) {
        const sub = jwtClaims(token).sub;
        if (sub !== null) users.add(userKey(keys, sub));
      }
      // Ahead of this clock by the skew other instances' clocks may have.
      const w = now + WATERMARK_SKEW_MS;
      for (const u of users) {
        this.#watermarks.set(u, w, now + lifetime);
        this.#layerDeleteUser(u);
        const mark: Watermark = { t: "wm", x: now + lifetime, w };
        work.push(this.#persist(() => this.#put(keys, this.#key("wm", u), mark)));
      }
    }
    await Promise.all(work);
  }

  /** Whether a forget() of this token is remembered in process (kept or provisional). */
  #revoked(token: string): boolean {
    return this.#tombstones.get(token) !== undefined || this.#provisional.get(token) !== undefined;
  }

  #key(kind: Kind | "cl", m: string): string {
    return `${this.#prefix}${kind}:${m}`;
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

  /** A store write of a revoke: tried again a few times before giving up. */
  async #persist(attempt: () => Promise<boolean>): Promise<void> {
    if (await attempt()) return;
    for (const delay of RETRY_DELAYS_MS) {
      await sleep(delay);
      if (await attempt()) return;
    }
  }

  #validate(accessToken: string, upstream: TokenSetUpstream): Promise<boolean> {
    requireToken("accessToken", accessToken);
    return this.#flights.run(`a:${accessToken}`, async () => {
      const keys = await this.#derive();
      const m = mac(keys.mac, accessToken);
      const found = await this.#lookupValid(keys, accessToken, m);
      if (found === "refreshed") return false;
      if (found !== null) return true;
      const sentAt = this.#now();
      this.#stats.upstreamValidations++;
      const ok = await upstream.validate(accessToken);
      if (ok === true) await this.#writeValid(keys, accessToken, m, sentAt);
      return ok === true;
    });
  }

  /**
   * The valid entry of `accessToken` in the store, unless it is revoked (a
   * tombstone, here or in the store, or a watermark of its user later than
   * its validation). Kept in process when found. `"refreshed"`: the token
   * was refreshed a moment ago, so it is known to be invalid.
   */
  async #lookupValid(
    keys: CacheKeys,
    accessToken: string,
    m: string,
  ): Promise<ValidEntry | "refreshed" | null> {
    if (this.#revoked(accessToken)) {
      this.#stats.misses++;
      return null;
    }
    const sub = jwtClaims(accessToken).sub;
    const u = sub === null ? null : userKey(keys, sub);
    const [found, stone, mark] = await Promise.all([
      this.#read(keys, this.#key("at", m), "at", "rf") as Promise<ValidEntry | Refreshed | null>,
      this.#read(keys, this.#key("rv", m), "rv"),
      u === null ? null : this.#read(keys, this.#key("wm", u), "wm"),
    ]);
    if (found === null || found.t === "rf") {
      this.#stats.misses++;
      return found === null ? null : "refreshed";
    }
    const entry = found;
    const localMark = u === null ? undefined : this.#watermarks.get(u);
    if (
      stone !== null || (mark !== null && entry.v < mark.w) ||
      (localMark !== undefined && entry.v < localMark) ||
      this.#revoked(accessToken)
    ) {
      this.#stats.revokedRefusals++;
      this.#stats.misses++;
      this.#layerDelete(accessToken);
      return null;
    }
    this.#stats.storeHits++;
    this.#layerSet(accessToken, entry.x, entry.v, u);
    return entry;
  }

  async #writeValid(
    keys: CacheKeys,
    accessToken: string,
    m: string,
    sentAt: number,
    persist = false,
  ): Promise<void> {
    const now = this.#now();
    const claims = jwtClaims(accessToken);
    const x = Math.min(now + this.#ttlMs, claims.exp ?? Infinity);
    if (x - now < 1000) return;
    const u = claims.sub === null ? null : userKey(keys, claims.sub);
    const revoked = (): boolean => {
      if (this.#revoked(accessToken)) return true;
      const mark = u === null ? undefined : this.#watermarks.get(u);
      return mark !== undefined && sentAt < mark;
    };
    if (revoked()) return;
    this.#layerSet(accessToken, x, sentAt, u);
    const entry: ValidEntry = u === null ? { t: "at", x, v: sentAt } : { t: "at", x, v: sentAt, u };
    const key = this.#key("at", m);
    const sealed = await seal(keys.aead, JSON.stringify(entry), key);
    if (revoked()) {
      this.#layerDelete(accessToken);
      return;
    }
    const put = async () =>
      (await this.#call("put", () => this.#store.put(key, sealed, this.#ttl(x)))).ok;
    // A refreshed pair is what the other instances wait for: its write is retried.
    if (persist) await this.#persist(put);
    else await put();
    if (revoked()) {
      // A revoke of this very token raced the put: it wins.
      this.#layerDelete(accessToken);
      await this.#call("delete", () => this.#store.delete(key));
    }
  }

  #refresh(
    refreshToken: string,
    accessToken: string | undefined,
    upstream: TokenSetUpstream,
  ): Promise<TokenPair> {
    requireToken("refreshToken", refreshToken);
    if (accessToken !== undefined) requireToken("accessToken", accessToken);
    return this.#flights.run(`r:${refreshToken}\n${accessToken ?? ""}`, async () => {
      const keys = await this.#derive();
      const rm = mac(keys.mac, refreshToken);
      const am = accessToken === undefined ? null : mac(keys.mac, accessToken);
      const early = await this.#grace(keys, rm, am);
      if (early !== null) return early;
      const claimKey = this.#key("cl", rm);
      let claimed = false;
      if (this.#store.putIfAbsent !== undefined && this.#graceMs > 0) {
        const nonce = crypto.randomUUID();
        const claim = () =>
          this.#call(
            "putIfAbsent",
            () => this.#store.putIfAbsent!(claimKey, nonce, { ttlSeconds: CLAIM_SECONDS }),
          );
        // A claim the store failed to answer is tried again (Deno KV answers
        // "database is locked" to concurrent commits from several processes):
        // refreshing without one is what makes two instances race upstream.
        let won = await claim();
        for (const delay of CLAIM_RETRY_MS) {
          if (won.ok) break;
          await sleep(delay);
          won = await claim();
        }
        // A store that fails is no reason to log anybody out: ask upstream.
        if (won.ok && won.value === false) {
          this.#stats.claimsLost++;
          const pair = await this.#awaitGrace(keys, rm, am, claimKey);
          if (pair !== null) return pair;
        }
        claimed = won.ok && won.value === true;
      }
      const sentAt = this.#now();
      let pair: TokenPair;
      try {
        this.#stats.upstreamRefreshes++;
        pair = await upstream.refresh(refreshToken, accessToken);
      } catch (err) {
        if (claimed) {
          // Let the waiters stop waiting and ask upstream themselves.
          await this.#call("delete", () => this.#store.delete(claimKey));
        }
        if (err instanceof AuthLiteTokenSetError) {
          // Another caller may have redeemed it a moment ago (a store with no
          // atomic claim, or a claim the store failed to answer): its pair,
          // if this caller holds the old one. While another caller's claim
          // stands, its pair may still be on its way: wait for it, bounded.
          const late = await this.#grace(keys, rm, am);
          if (late !== null) return late;
          if (!claimed && am !== null && this.#store.putIfAbsent !== undefined) {
            const other = await this.#call("get", () => this.#store.get(claimKey));
            if (other.ok && other.value !== null) {
              const pair = await this.#awaitGrace(keys, rm, am, claimKey);
              if (pair !== null) return pair;
            }
          }
        }
        throw err;
      }
      const newM = mac(keys.mac, pair.accessToken);
      await this.#writeValid(keys, pair.accessToken, newM, sentAt, true);
      if (this.#graceMs > 0 && am !== null) {
        const grace: GraceEntry = {
          t: "rt",
          x: this.#now() + this.#graceMs,
          a: pair.accessToken,
          r: pair.refreshToken,
          o: am,
        };
        const old: Refreshed = { t: "rf", x: grace.x };
        // The old access token's key says it was refreshed (upstream had
        // found it invalid), so late callers with the old pair skip the
        // validation and take the pair from the grace entry.
        await Promise.all([
          this.#persist(() => this.#put(keys, this.#key("rt", rm), grace)),
          this.#put(keys, this.#key("at", am), old),
        ]);
      }
      return { accessToken: pair.accessToken, refreshToken: pair.refreshToken };
    });
  }

  /** Wait, bounded, for the pair of the caller that won the claim. */
  async #awaitGrace(
    keys: CacheKeys,
    rm: string,
    am: string | null,
    claimKey: string,
  ): Promise<TokenPair | null> {
    const deadline = this.#now() + this.#claimWaitMs;
    const started = Date.now();
    for (;;) {
      const pair = await this.#grace(keys, rm, am);
      if (pair !== null) return pair;
      // The injected clock may stand still in tests: the real one bounds the wait too.
      if (this.#now() >= deadline || Date.now() - started >= this.#claimWaitMs) return null;
      const claim = await this.#call("get", () => this.#store.get(claimKey));
      if (claim.ok && claim.value === null) {
        // The winner gave up (or finished and the grace is not for us): one last look.
        return await this.#grace(keys, rm, am);
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * The pair a refresh of this refresh token gave a moment ago, for a caller
   * that still holds the pair it replaced: only with the same access token
   * (the refresh token alone unlocks nothing), and only while the new access
   * token is still valid in the cache (not revoked), so that a logout of the
   * new pair also closes the window.
   */
  async #grace(keys: CacheKeys, rm: string, am: string | null): Promise<TokenPair | null> {
    if (this.#graceMs <= 0 || am === null) return null;
    const grace = await this.#read(keys, this.#key("rt", rm), "rt");
    if (grace === null || grace.o !== am) return null;
    const newM = mac(keys.mac, grace.a);
    const valid = await this.#lookupValid(keys, grace.a, newM);
    if (valid === null || valid === "refreshed") return null;
    this.#stats.graceHits++;
    return { accessToken: grace.a, refreshToken: grace.r };
  }

  #ttl(x: number): { ttlSeconds: number } {
    return { ttlSeconds: Math.max(1, Math.ceil((x - this.#now()) / 1000)) };
  }

  /** Seal and store `entry`; `true` when the store took it. */
  async #put(keys: CacheKeys, key: string, entry: Entry): Promise<boolean> {
    const sealed = await seal(keys.aead, JSON.stringify(entry), key);
    return (await this.#call("put", () => this.#store.put(key, sealed, this.#ttl(entry.x)))).ok;
  }

  #layerSet(accessToken: string, x: number, v: number, u: string | null): void {
    const layer = this.#layer;
    if (layer === null) return;
    this.#layerDelete(accessToken);
    const bytes = accessToken.length + 96;
    layer.set(accessToken, { fresh: Math.min(x, this.#now() + this.#recheckMs), x, v, u, bytes });
    this.#layerBytes += bytes;
    while (layer.size > this.#layerMax || this.#layerBytes > this.#layerMaxBytes) {
      const oldest = layer.keys().next();
      if (oldest.done) break;
      this.#layerDelete(oldest.value);
    }
  }

  #layerDelete(accessToken: string): boolean {
    const entry = this.#layer?.get(accessToken);
    if (entry === undefined) return false;
    this.#layer!.delete(accessToken);
    this.#layerBytes -= entry.bytes;
    return true;
  }

  #layerDeleteUser(u: string): void {
    if (this.#layer === null) return;
    for (const [token, entry] of this.#layer) {
      if (entry.u === u) this.#layerDelete(token);
    }
  }

  async #read<K extends Kind>(
    keys: CacheKeys,
    key: string,
    kind: K,
    alsoKind?: Kind,
  ): Promise<Extract<Entry, { t: K }> | null> {
    const got = await this.#call("get", () => this.#store.get(key));
    if (!got.ok || got.value === null || got.value === undefined) return null;
    const raw: unknown = got.value;
    const text = typeof raw === "string" ? await open(keys.aead, raw, key) : null;
    const entry = text === null ? null : parseEntry(text);
    if (entry === null || (entry.t !== kind && entry.t !== alsoKind)) {
      this.#stats.garbage++;
      this.#report({ operation: "get", reason: "garbage" });
      return null;
    }
    if (entry.x <= this.#now()) return null;
    return entry as Extract<Entry, { t: K }>;
  }

  async #call<T>(
    operation: TokenSetCacheErrorEvent["operation"],
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
