/**
 * Refresh claims and grace: a refresh token is redeemed once across every
 * instance sharing the store, and the callers still holding the pair it
 * replaced get the new pair.
 *
 * 1. **Grace**: a pair refreshed a moment ago (here or elsewhere) for this
 *    refresh token and this very access token is handed out as it is.
 * 2. **Claim**: otherwise the caller claims the refresh in the store with an
 *    atomic `putIfAbsent` (`cl:`, 10 s). A caller that loses the claim waits,
 *    bounded, for the winner's pair to appear in the grace entry.
 * 3. **Redeem**: the refresh token goes upstream.
 * 4. **Record**: the new access token is kept as valid, the pair goes into
 *    the grace entry (`rt:`) and the old access token's key says "refreshed",
 *    so that late callers with the old pair skip the validation.
 *
 * @module
 */
import type { Core } from "./_core.ts";
import type { EntryStore, GraceEntry, RefreshedEntry } from "./_entries.ts";
import { lookupValid, writeValid } from "./_valid.ts";
import type { TokenPair, TokenSetUpstream } from "./types.ts";
import { AuthLiteTokenSetError } from "../errors.ts";
import { emit } from "../_events.ts";

/** Lifetime of a refresh claim: longer than an upstream refresh takes, short if its winner dies. */
const CLAIM_SECONDS = 10;
/** How often a caller that lost the claim looks for the winner's pair, ms. */
const POLL_MS = 25;
/** A claim the store failed to answer is tried again after these delays, ms. */
const CLAIM_RETRY_MS = [10, 40, 100];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One refresh: the tokens and their keyed hashes. */
interface Refresh {
  refreshToken: string;
  accessToken: string | undefined;
  /** Keyed hash of the refresh token. */
  rm: string;
  /** Keyed hash of the access token presented with it, if any. */
  am: string | null;
  claimKey: string;
}

/** The outcome of a claim: this caller holds it, another does, the store did not answer, or there are no claims. */
type Claim = "won" | "lost" | "failed" | "none";

/** Refresh `refreshToken`, once across the instances; the others get the same pair. */
export function refresh(
  core: Core,
  upstream: TokenSetUpstream,
  refreshToken: string,
  accessToken: string | undefined,
): Promise<TokenPair> {
  return core.flights.run(`r:${refreshToken}\n${accessToken ?? ""}`, async () => {
    const es = await core.entries();
    const rm = es.mac(refreshToken);
    const am = accessToken === undefined ? null : es.mac(accessToken);
    const r: Refresh = { refreshToken, accessToken, rm, am, claimKey: es.key("cl", rm) };
    const early = await grace(core, es, r);
    if (early !== null) return waited(core, early);
    const claim = await claimRefresh(core, es, r);
    if (claim === "lost") {
      core.stats.claimsLost++;
      const pair = await awaitGrace(core, es, r);
      if (pair !== null) return waited(core, pair);
    }
    const sentAt = core.config.now();
    const pair = await redeem(core, es, upstream, r, claim === "won");
    if ("waited" in pair) return waited(core, pair.waited);
    await record(core, es, r, pair, sentAt);
    emit(core.config.observe, { type: "refresh", outcome: "redeemed" });
    return { accessToken: pair.accessToken, refreshToken: pair.refreshToken };
  });
}

function waited(core: Core, pair: TokenPair): TokenPair {
  emit(core.config.observe, { type: "refresh", outcome: "waited" });
  return pair;
}

/**
 * Claim the refresh in the store. A claim the store failed to answer is
 * tried again (Deno KV answers "database is locked" to concurrent commits
 * from several processes): refreshing without one is what makes two
 * instances race upstream.
 */
async function claimRefresh(core: Core, es: EntryStore, r: Refresh): Promise<Claim> {
  if (core.config.graceMs <= 0) return "none";
  const nonce = crypto.randomUUID();
  const attempt = () => es.store.putIfAbsent(r.claimKey, nonce, CLAIM_SECONDS);
  let won = attempt();
  if (won === undefined) return "none";
  let result = await won;
  for (const delay of CLAIM_RETRY_MS) {
    if (result.ok) break;
    await sleep(delay);
    won = attempt();
    result = await won!;
  }
  if (!result.ok) return "failed";
  return result.value ? "won" : "lost";
}

/**
 * Present the refresh token upstream. On failure the claim is released (the
 * waiters stop waiting); a rejection may still be answered with the pair of
 * another caller that redeemed it a moment ago.
 */
async function redeem(
  core: Core,
  es: EntryStore,
  upstream: TokenSetUpstream,
  r: Refresh,
  claimed: boolean,
): Promise<TokenPair | { waited: TokenPair }> {
  try {
    core.stats.upstreamRefreshes++;
    return await upstream.refresh(r.refreshToken, r.accessToken);
  } catch (err) {
    // Let the waiters stop waiting and ask upstream themselves.
    if (claimed) await es.store.delete(r.claimKey);
    if (err instanceof AuthLiteTokenSetError) {
      const pair = await afterRejection(core, es, r, claimed);
      if (pair !== null) return { waited: pair };
      emit(core.config.observe, { type: "refresh", outcome: "rejected" });
    }
    throw err;
  }
}

/**
 * Another caller may have redeemed the token a moment ago (a store with no
 * atomic claim, or a claim the store failed to answer): its pair, if this
 * caller holds the old one. While another caller's claim stands, its pair
 * may still be on its way: wait for it, bounded.
 */
async function afterRejection(
  core: Core,
  es: EntryStore,
  r: Refresh,
  claimed: boolean,
): Promise<TokenPair | null> {
  const late = await grace(core, es, r);
  if (late !== null) return late;
  if (claimed || r.am === null || es.store.store.putIfAbsent === undefined) return null;
  const other = await es.store.get(r.claimKey);
  if (!other.ok || other.value === null) return null;
  return await awaitGrace(core, es, r);
}

/** Keep the new pair: its access token as valid, the grace entry, and "refreshed" on the old one. */
async function record(
  core: Core,
  es: EntryStore,
  r: Refresh,
  pair: TokenPair,
  sentAt: number,
): Promise<void> {
  await writeValid(core, es, pair.accessToken, es.mac(pair.accessToken), sentAt, true);
  if (core.config.graceMs <= 0 || r.am === null) return;
  const expiresAt = core.config.now() + core.config.graceMs;
  const entry: GraceEntry = {
    kind: "grace",
    expiresAt,
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    replacedAccess: r.am,
  };
  const old: RefreshedEntry = { kind: "refreshed", expiresAt };
  // The old access token's key says it was refreshed (upstream had found it
  // invalid), so late callers with the old pair skip the validation and take
  // the pair from the grace entry.
  await Promise.all([
    es.store.persist(() => es.write(es.key("rt", r.rm), entry)),
    es.write(es.key("at", r.am), old),
  ]);
}

/** Wait, bounded, for the pair of the caller that won the claim. */
async function awaitGrace(core: Core, es: EntryStore, r: Refresh): Promise<TokenPair | null> {
  const { now, claimWaitMs } = core.config;
  const deadline = now() + claimWaitMs;
  const started = Date.now();
  for (;;) {
    const pair = await grace(core, es, r);
    if (pair !== null) return pair;
    // The injected clock may stand still in tests: the real one bounds the wait too.
    if (now() >= deadline || Date.now() - started >= claimWaitMs) return null;
    const claim = await es.store.get(r.claimKey);
    if (claim.ok && claim.value === null) {
      // The winner gave up (or finished and the grace is not for us): one last look.
      return await grace(core, es, r);
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
async function grace(core: Core, es: EntryStore, r: Refresh): Promise<TokenPair | null> {
  if (core.config.graceMs <= 0 || r.am === null) return null;
  const entry = await es.read(es.key("rt", r.rm), "grace");
  if (entry === null || entry.replacedAccess !== r.am) return null;
  const valid = await lookupValid(core, es, entry.accessToken, es.mac(entry.accessToken));
  if (valid === null || valid === "refreshed") return null;
  core.stats.graceHits++;
  emit(core.config.observe, { type: "cache", outcome: "grace-hit" });
  return { accessToken: entry.accessToken, refreshToken: entry.refreshToken };
}
