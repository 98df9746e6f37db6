/**
 * Refresh claims and grace: a refresh token is redeemed once across every
 * instance sharing the store, and the callers still holding the pair it
 * replaced get the new pair.
 *
 * 1. **Grace**: a pair refreshed a moment ago (here or elsewhere) for this
 *    refresh token and this very access token is handed out as it is.
 * 2. **Claim**: otherwise the caller claims the refresh in the store with an
 *    atomic `putIfAbsent` (`cl:`, 10 s). A caller that loses the claim waits,
 *    bounded, for the winner's pair to appear in the grace entry. A refresh
 *    token is presented upstream only by the holder of its claim: when the
 *    store cannot grant one (down, breaker open), or another caller's claim
 *    stands past the wait, the refresh is deferred (`ERR_UNAVAILABLE`, 503
 *    with a retry time, the session kept) rather than redeemed twice. Stores
 *    without `putIfAbsent` (Workers KV), and `graceSeconds: 0`, have no
 *    claims: there each caller redeems, as before.
 * 3. **Redeem**: the refresh token goes upstream. Only a rejection of the
 *    token (`AuthLiteTokenSetError`) is a rejection; any other failure
 *    releases the claim and is passed on as it is.
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
import { AuthLiteTokenSetError, AuthLiteUnavailableError } from "../errors.ts";
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

/**
 * The grace entry of a refresh token: `ours` (a pair for this caller's old
 * access token), `other` (the token was redeemed for another access token, or
 * its new pair is revoked: nothing for this caller), or `none`.
 */
type Grace = { kind: "ours"; pair: TokenPair } | { kind: "other" } | { kind: "none" };

/**
 * Whether this caller may present the refresh token: it holds the claim
 * (`won`), the store has no claims (`none`), or the redemption another
 * caller claimed is over and its pair is not for this one (`done`: upstream
 * decides). Or the pair to answer with.
 */
type Clearance = "won" | "none" | "done" | { pair: TokenPair };

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
    const early = await readGrace(core, es, r);
    if (early.kind === "ours") return waited(core, early.pair);
    const clearance = early.kind === "other" ? "done" : await clear(core, es, r);
    if (typeof clearance === "object") return waited(core, clearance.pair);
    const sentAt = core.config.now();
    const pair = await redeem(core, es, upstream, r, clearance === "won");
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

function deferred(core: Core, err: unknown): unknown {
  emit(core.config.observe, { type: "refresh", outcome: "deferred" });
  return err;
}

/** Get the claim, or the pair of its holder; throws `ERR_UNAVAILABLE` when neither can be had. */
async function clear(core: Core, es: EntryStore, r: Refresh): Promise<Clearance> {
  if (core.config.graceMs <= 0 || es.store.store.putIfAbsent === undefined) return "none";
  // Twice at most: a claim released by a winner that failed is claimed again.
  for (let round = 0; round < 2; round++) {
    const claim = await claimRefresh(es, r);
    if (claim === "won") return claim;
    if (claim === "failed") {
      const seconds = Math.ceil(es.store.retryAfterMs() / 1000);
      throw deferred(
        core,
        new AuthLiteUnavailableError("store", "the refresh claim could not be written", seconds),
      );
    }
    core.stats.claimsLost++;
    const outcome = await awaitGrace(core, es, r);
    if (outcome !== "released") return outcome;
  }
  throw deferred(
    core,
    new AuthLiteUnavailableError("upstream", "a refresh of this session is in progress", 1),
  );
}

/**
 * Claim the refresh in the store. A claim the store failed to answer is
 * tried again (Deno KV answers "database is locked" to concurrent commits
 * from several processes), unless the store's breaker is open.
 */
async function claimRefresh(es: EntryStore, r: Refresh): Promise<"won" | "lost" | "failed"> {
  const nonce = crypto.randomUUID();
  const attempt = () => es.store.putIfAbsent(r.claimKey, nonce, CLAIM_SECONDS)!;
  let result = await attempt();
  for (const delay of CLAIM_RETRY_MS) {
    if (result.ok || result.reason === "rejected-open") break;
    await sleep(delay);
    result = await attempt();
  }
  if (!result.ok) return "failed";
  return result.value ? "won" : "lost";
}

/**
 * Present the refresh token upstream. On failure the claim is released (the
 * waiters stop waiting); a rejection may still be answered with the pair of
 * another caller that redeemed it a moment ago (a store without claims).
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
    if (claimed) await es.store.delete(r.claimKey);
    if (!(err instanceof AuthLiteTokenSetError)) throw deferred(core, err);
    const late = await readGrace(core, es, r);
    if (late.kind === "ours") return { waited: late.pair };
    emit(core.config.observe, { type: "refresh", outcome: "rejected" });
    throw err;
  }
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

/**
 * Wait, bounded by `claimWaitMs`, for the redemption another caller claimed:
 * its pair, `done` (it is over and the pair is not for this caller),
 * `released` (it gave up), or `timeout` (its claim still stands: deferred).
 */
async function awaitGrace(
  core: Core,
  es: EntryStore,
  r: Refresh,
): Promise<{ pair: TokenPair } | "done" | "released"> {
  const { now, claimWaitMs } = core.config;
  const deadline = now() + claimWaitMs;
  const started = Date.now();
  for (;;) {
    const grace = await readGrace(core, es, r);
    if (grace.kind === "ours") return { pair: grace.pair };
    if (grace.kind === "other") return "done";
    // The injected clock may stand still in tests: the real one bounds the wait too.
    if (now() >= deadline || Date.now() - started >= claimWaitMs) {
      throw deferred(
        core,
        new AuthLiteUnavailableError("upstream", "a refresh of this session is in progress", 1),
      );
    }
    const claim = await es.store.get(r.claimKey);
    if (claim.ok && claim.value === null) {
      // The winner gave up (or finished): one last look.
      const last = await readGrace(core, es, r);
      if (last.kind === "ours") return { pair: last.pair };
      return last.kind === "other" ? "done" : "released";
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
async function readGrace(core: Core, es: EntryStore, r: Refresh): Promise<Grace> {
  if (core.config.graceMs <= 0) return { kind: "none" };
  const entry = await es.read(es.key("rt", r.rm), "grace");
  if (entry === null) return { kind: "none" };
  if (r.am === null || entry.replacedAccess !== r.am) return { kind: "other" };
  const valid = await lookupValid(core, es, entry.accessToken, es.mac(entry.accessToken));
  if (valid === null || valid === "refreshed") return { kind: "other" };
  core.stats.graceHits++;
  emit(core.config.observe, { type: "cache", outcome: "grace-hit" });
  return {
    kind: "ours",
    pair: { accessToken: entry.accessToken, refreshToken: entry.refreshToken },
  };
}
