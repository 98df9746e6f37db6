/**
 * Valid access tokens in the store: the lookup (the entry, unless a
 * revocation refuses it) and the write after an upstream validation or
 * refresh vouched for a token.
 *
 * @module
 */
import type { Core } from "./_core.ts";
import { type EntryStore, type RefreshedEntry, userKeyOf, type ValidEntry } from "./_entries.ts";
import { jwtClaims } from "./_crypto.ts";
import type { TokenSetUpstream } from "./types.ts";
import { emit } from "../_events.ts";
import { AuthLiteUnavailableError, isUpstreamOutage } from "../errors.ts";

const MISS = { type: "cache", outcome: "miss" } as const;
const STORE_HIT = { type: "cache", outcome: "store-hit" } as const;
/** How long a miss's finding waits for the refresh that follows it, ms. */
const MISSED_MS = 2000;

/** The user key of a token (keyed hash of its JWT `sub`), or `null`. */
export function userOf(es: EntryStore, token: string): string | null {
  const sub = jwtClaims(token).sub;
  return sub === null ? null : userKeyOf(es.keys, sub);
}

/**
 * The valid entry of `token` in the store, unless it is revoked (a
 * tombstone, here or in the store, or a watermark of its user later than
 * its validation). Kept in process when found. `"refreshed"`: the token was
 * refreshed a moment ago, so it is known to be invalid. `"unanswered"`: the
 * store failed to answer.
 */
export async function lookupValid(
  core: Core,
  es: EntryStore,
  token: string,
  hash: string,
): Promise<ValidEntry | "refreshed" | null | "unanswered"> {
  const { stats, revocations } = core;
  const observe = core.config.observe;
  if (revocations.has(token)) {
    stats.misses++;
    emit(observe, MISS);
    return null;
  }
  const user = userOf(es, token);
  // One read: the entry, its tombstone and its user's watermark together.
  const keys = [es.key("at", hash), es.key("rv", hash)];
  if (user !== null) keys.push(es.key("wm", user));
  // A store that fails to answer is not taken for "no entry".
  const raw = await es.rawManyAnswered(keys);
  if (raw === undefined) return "unanswered";
  const [found, stone, mark] = await Promise.all([
    es.opened(keys[0]!, raw[0], ["valid", "refreshed"] as const),
    es.opened(keys[1]!, raw[1], ["revoked"] as const),
    user === null ? null : es.opened(keys[2]!, raw[2], ["watermark"] as const),
  ]);
  if (found === null || found.kind === "refreshed") {
    miss(core, token, found);
    return found === null ? null : "refreshed";
  }
  if (
    stone !== null || (mark !== null && found.validatedAt < mark.revokedBefore) ||
    revocations.refuses(token, user, found.validatedAt)
  ) {
    stats.revokedRefusals++;
    stats.misses++;
    emit(observe, MISS);
    core.layer?.delete(token);
    return null;
  }
  stats.storeHits++;
  emit(observe, STORE_HIT);
  core.layer?.set(token, found.expiresAt, user);
  return found;
}

/**
 * Keep `token` as valid, vouched for by an upstream call sent at `sentAt`:
 * in process and in the store, for the TTL, never beyond its JWT `exp`. A
 * revoke racing the write wins. With `persist` (a refreshed pair, which the
 * other instances wait for) the store write is retried.
 */
export async function writeValid(
  core: Core,
  es: EntryStore,
  token: string,
  hash: string,
  sentAt: number,
  persist = false,
): Promise<void> {
  const { config, layer, revocations } = core;
  const now = config.now();
  const claims = jwtClaims(token);
  const expiresAt = Math.min(now + config.ttlMs, claims.exp ?? Infinity);
  if (expiresAt - now < 1000) return;
  const user = claims.sub === null ? null : userKeyOf(es.keys, claims.sub);
  const revoked = () => revocations.refuses(token, user, sentAt);
  if (revoked()) return;
  layer?.set(token, expiresAt, user);
  const entry: ValidEntry = user === null
    ? { kind: "valid", expiresAt, validatedAt: sentAt }
    : { kind: "valid", expiresAt, validatedAt: sentAt, user };
  const key = es.key("at", hash);
  const sealed = await es.seal(key, entry);
  if (revoked()) {
    layer?.delete(token);
    return;
  }
  const store = es.store;
  const put = async () => (await store.put(key, sealed, es.ttl(expiresAt))).ok;
  if (persist) await store.persist(put);
  else await put();
  if (revoked()) {
    // A revoke of this very token raced the put: it wins.
    layer?.delete(token);
    await store.delete(key);
  }
}

/** Whether `token` is valid: from the store, else from upstream (then kept). */
export function validate(core: Core, token: string, upstream: TokenSetUpstream): Promise<boolean> {
  return core.flights.run(`a:${token}`, async () => {
    const es = await core.entries();
    const hash = es.mac(token);
    const found = await lookupValid(core, es, token, hash);
    if (found === "refreshed") return false;
    if (found !== null && found !== "unanswered") return true;
    if (found === "unanswered") miss(core, token, null);
    const sentAt = core.config.now();
    core.stats.upstreamValidations++;
    let ok: boolean;
    try {
      ok = await upstream.validate(token);
    } catch (err) {
      // Neither the store nor the upstream can say: a token this process knew
      // valid stays so until its entry's own life ends (never past its exp).
      // Revocations through this process are in `revocations`, checked above;
      // one made elsewhere is honoured once either answers.
      if (found === "unanswered" && isOutage(err) && core.layer?.alive(token) === true) {
        return true;
      }
      throw err;
    }
    if (ok === true) await writeValid(core, es, token, hash, sentAt);
    return ok === true;
  });
}

/**
 * A miss, counted and observed, with what was found under the token's key kept
 * for the refresh that follows (`null`: nothing, or a store that failed to
 * answer). A read that began before a refresh of this process recorded its
 * pair does not hide that pair (record() put it here) from that refresh.
 */
function miss(core: Core, token: string, found: RefreshedEntry | null): void {
  core.stats.misses++;
  emit(core.config.observe, MISS);
  if (found !== null || !core.missed.get(token)) {
    core.missed.set(token, found, core.config.now() + MISSED_MS);
  }
}

/** An upstream failure that decides nothing of the token (throttled, down, unreachable). */
function isOutage(err: unknown): boolean {
  return err instanceof AuthLiteUnavailableError || isUpstreamOutage(err);
}
