/**
 * The token-set cache's entries in the store: their types (named fields, as
 * they are stored), their keys, and how they are sealed, opened and parsed.
 * A value that does not open under its own key, or does not parse as the
 * kind expected there, is garbage: a miss, reported.
 *
 * @module
 */
import { type CacheKeys, mac, open, seal } from "./_crypto.ts";
import type { GuardedStore } from "./_store_call.ts";

/** An access token the upstream vouched for: `at:<mac of the token>`. */
export interface ValidEntry {
  kind: "valid";
  /** Served until then (ms): never beyond the token's own `exp`. */
  expiresAt: number;
  /** When the upstream validation (or refresh) that vouched for it was sent, ms. */
  validatedAt: number;
  /** The user's key (keyed hash of the JWT `sub`), if the token names one. */
  user?: string;
}

/**
 * An access token that was refreshed (so upstream found it invalid), under
 * its own key `at:<mac>`, with the pair that replaced it: the grace entry.
 * Only a caller holding this access token and the refresh token it was
 * refreshed with gets the pair; a late caller learns in the one read of its
 * validation that the token was refreshed and where the pair is.
 */
export interface RefreshedEntry {
  kind: "refreshed";
  expiresAt: number;
  /** The new access token. */
  accessToken: string;
  /** The new refresh token. */
  refreshToken: string;
  /** Keyed hash of the refresh token that was redeemed. */
  refreshedWith: string;
}

/** A revoked token: `rv:<mac>`. */
export interface TombstoneEntry {
  kind: "revoked";
  expiresAt: number;
}

/** Every token of a user validated before `revokedBefore` (ms) is revoked: `wm:<user key>`. */
export interface WatermarkEntry {
  kind: "watermark";
  expiresAt: number;
  revokedBefore: number;
}

/** Any entry of the cache. */
export type Entry = ValidEntry | RefreshedEntry | TombstoneEntry | WatermarkEntry;
/** The kind of an entry. */
export type Kind = Entry["kind"];
/** An entry of one of these kinds. */
export type EntryOf<K extends Kind> = Extract<Entry, { kind: K }>;

/** The part of a key that says what lies under it (`cl`: a refresh claim, not sealed). */
export type KeyTag = "at" | "rv" | "wm" | "cl";

const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const text = (v: unknown): v is string => typeof v === "string" && v !== "";

/** The entry in `json`, or `null` when it is not one. */
export function parseEntry(json: string): Entry | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const e = v as Record<string, unknown>;
  const expiresAt = e.expiresAt;
  if (!num(expiresAt)) return null;
  switch (e.kind) {
    case "valid":
      if (!num(e.validatedAt)) return null;
      return text(e.user)
        ? { kind: "valid", expiresAt, validatedAt: e.validatedAt, user: e.user }
        : { kind: "valid", expiresAt, validatedAt: e.validatedAt };
    case "refreshed":
      if (!text(e.accessToken) || !text(e.refreshToken) || !text(e.refreshedWith)) return null;
      return {
        kind: "refreshed",
        expiresAt,
        accessToken: e.accessToken,
        refreshToken: e.refreshToken,
        refreshedWith: e.refreshedWith,
      };
    case "revoked":
      return { kind: "revoked", expiresAt };
    case "watermark":
      return num(e.revokedBefore)
        ? { kind: "watermark", expiresAt, revokedBefore: e.revokedBefore }
        : null;
  }
  return null;
}

/**
 * The key of a user's watermark, from a token's `sub`: the user id itself, or
 * the `uid` inside it where `sub` is a JSON object (as in TrustAuthX's signed
 * replies), so that every token of one user maps to one key.
 */
export function userKeyOf(keys: CacheKeys, sub: string): string {
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

/** Sealed entries in a guarded store, under keys derived from the secret. */
export class EntryStore {
  readonly keys: CacheKeys;
  readonly store: GuardedStore;
  #prefix: string;
  #now: () => number;
  #onGarbage: () => void;

  constructor(
    keys: CacheKeys,
    store: GuardedStore,
    options: { prefix: string; now: () => number; onGarbage: () => void },
  ) {
    this.keys = keys;
    this.store = store;
    this.#prefix = options.prefix;
    this.#now = options.now;
    this.#onGarbage = options.onGarbage;
  }

  /** The keyed hash of a token (what its keys are made of). */
  mac(token: string): string {
    return mac(this.keys.mac, token);
  }

  key(tag: KeyTag, hash: string): string {
    return `${this.#prefix}${tag}:${hash}`;
  }

  /** Seconds from now until `expiresAt`, at least 1. */
  ttl(expiresAt: number): number {
    return Math.max(1, Math.ceil((expiresAt - this.#now()) / 1000));
  }

  /** The live entry under `key` if it is of one of `kinds`; `null` otherwise (garbage reported). */
  async read<K extends Kind>(key: string, ...kinds: K[]): Promise<EntryOf<K> | null> {
    const got = await this.store.get(key);
    if (!got.ok) return null;
    return await this.opened(key, got.value, kinds);
  }

  /**
   * The stored values under `keys` (`null`: none, or the store failed), in
   * one store call where the store can; open each with {@linkcode EntryStore.opened}.
   */
  async rawMany(keys: readonly string[]): Promise<(string | null)[]> {
    const got = await this.store.getMany(keys);
    return got.map((result) => (result.ok ? result.value : null));
  }

  /** The raw values under `keys`, or `undefined` when the store failed to answer any of them. */
  async rawManyAnswered(keys: readonly string[]): Promise<(string | null)[] | undefined> {
    const got = await this.store.getMany(keys);
    const out: (string | null)[] = [];
    for (const result of got) {
      if (!result.ok) return undefined;
      out.push(result.value);
    }
    return out;
  }

  /** The entry a stored value holds, checked as {@linkcode EntryStore.read} does. */
  async opened<K extends Kind>(
    key: string,
    raw: unknown,
    kinds: readonly K[],
  ): Promise<EntryOf<K> | null> {
    if (raw === null || raw === undefined) return null;
    const json = typeof raw === "string" ? await open(this.keys.aead, raw, key) : null;
    const entry = json === null ? null : parseEntry(json);
    if (entry === null || !(kinds as readonly Kind[]).includes(entry.kind)) {
      this.#onGarbage();
      this.store.garbage("get");
      return null;
    }
    return entry.expiresAt <= this.#now() ? null : entry as EntryOf<K>;
  }

  /** The sealed value of `entry` under `key`. */
  seal(key: string, entry: Entry): Promise<string> {
    return seal(this.keys.aead, JSON.stringify(entry), key);
  }

  /** Seal and store `entry`; `true` when the store took it. */
  async write(key: string, entry: Entry): Promise<boolean> {
    const sealed = await this.seal(key, entry);
    return (await this.store.put(key, sealed, this.ttl(entry.expiresAt))).ok;
  }
}
