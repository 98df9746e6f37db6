/**
 * Refresh claims and grace: a refresh token is redeemed once across every
 * instance sharing the store, and the callers still holding the pair it
 * replaced get the new pair.
 *
 * 1. **Grace**: a pair refreshed a moment ago (here or elsewhere) for this
 *    refresh token and this very access token is handed out as it is. It
 *    lies under the old access token's key (`at:`), so the validation that
 *    failed just before has already read it (no second read).
 * 2. **Claim**: otherwise the caller claims the refresh in the store with an
 *    atomic `putIfAbsent` (`cl:`, 10 s, renewed while its refresh is upstream). A caller that loses the claim waits,
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
 * 4. **Record**: the new access token is kept as valid, and the old access
 *    token's key says "refreshed", with the new pair: late callers with the
 *    old pair skip the validation and take the pair. Two writes.
 *
 * The winner's path is four store operations: the validation's one read,
 * the claim, and the two writes.
 *
 * @module
 */
import type { Core } from "./_core.ts";
import type { EntryStore, RefreshedEntry } from "./_entries.ts";
import { lookupValid, writeValid } from "./_valid.ts";
import type { TokenPair, TokenSetUpstream } from "./types.ts";
import { jwtClaims } from "./_crypto.ts";
import { AuthLiteTokenSetError, AuthLiteUnavailableError } from "../errors.ts";
import { emit } from "../_events.ts";

/**
 * Lifetime of a refresh claim: short if its winner dies. A winner still
 * waiting for the upstream (slow, throttled, retrying) renews it every
 * {@linkcode CLAIM_RENEW_MS}, so that no other instance presents the token
 * while the first presentation may still succeed.
 */
const CLAIM_SECONDS = 10;
/** How often the holder of a claim renews it while its refresh is upstream, ms. */
const CLAIM_RENEW_MS = 3000;
/**
 * Renewals stop after this long, ms: the client's own refresh gives up well
 * before (3 tries of at most 10 s), and an upstream that never answers must
 * not hold a session's claim (and its refreshes on every instance) forever.
 */
const CLAIM_RENEW_FOR_MS = 60_000;
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
  /** This caller's claim: a random id and the access token's keyed hash. */
  claimValue: string;
}

/**
 * The grace pair for a caller: `ours` (the pair its old access token was
 * refreshed to), `other` (the refresh token was redeemed for another access
 * token, or the new pair is revoked: nothing for this caller), or `none`.
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
    const claimKey = es.key("cl", rm);
    const claimValue = `${crypto.randomUUID()}.${am ?? ""}`;
    const r: Refresh = { refreshToken, accessToken, rm, am, claimKey, claimValue };
    const early = await firstGrace(core, es, r);
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

function inProgress(core: Core): unknown {
  return deferred(
    core,
    new AuthLiteUnavailableError("upstream", "a refresh of this session is in progress", 1),
  );
}

/** The grace pair, from what the failed validation just read, else from the store. */
async function firstGrace(core: Core, es: EntryStore, r: Refresh): Promise<Grace> {
  if (core.config.graceMs <= 0 || r.accessToken === undefined || r.am === null) {
    return { kind: "none" };
  }
  const missed = core.missed.get(r.accessToken);
  if (missed === null) core.missed.delete(r.accessToken);
  const entry = missed !== undefined
    ? missed
    : await es.read(es.key("at", r.am), "valid", "refreshed");
  return await graceOf(core, es, r, entry?.kind === "refreshed" ? entry : null);
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
  throw inProgress(core);
}

/**
 * Claim the refresh in the store; the claim names the access token it was
 * made with (its keyed hash), so that a caller holding another one knows
 * where to look for the outcome. A claim the store failed to answer is tried
 * again (Deno KV answers "database is locked" to concurrent commits from
 * several processes), unless the store's breaker is open.
 */
async function claimRefresh(es: EntryStore, r: Refresh): Promise<"won" | "lost" | "failed"> {
  const attempt = () => es.store.putIfAbsent(r.claimKey, r.claimValue, CLAIM_SECONDS)!;
  let result = await attempt();
  let unanswered = false;
  for (const delay of CLAIM_RETRY_MS) {
    if (result.ok || result.reason === "rejected-open") break;
    unanswered = true;
    await sleep(delay);
    result = await attempt();
  }
  if (!result.ok) return "failed";
  if (result.value) return "won";
  // An attempt that timed out may have been written all the same (a slow
  // store answers after the bound): a claim holding this caller's own value
  // is this caller's, not another's to wait for.
  if (unanswered) {
    const held = await es.store.get(r.claimKey);
    if (held.ok && held.value === r.claimValue) return "won";
  }
  return "lost";
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
  const renewUntil = core.config.now() + CLAIM_RENEW_FOR_MS;
  const renew = claimed
    ? setInterval(() => {
      if (core.config.now() > renewUntil) clearInterval(renew);
      else void es.store.put(r.claimKey, r.claimValue, CLAIM_SECONDS);
    }, CLAIM_RENEW_MS)
    : undefined;
  try {
    core.stats.upstreamRefreshes++;
    return await upstream.refresh(r.refreshToken, r.accessToken);
  } catch (err) {
    clearInterval(renew);
    if (claimed) await es.store.delete(r.claimKey);
    if (!(err instanceof AuthLiteTokenSetError)) throw deferred(core, err);
    if (r.am !== null && core.config.graceMs > 0) {
      const late = await es.read(es.key("at", r.am), "valid", "refreshed");
      const grace = await graceOf(core, es, r, late?.kind === "refreshed" ? late : null);
      if (grace.kind === "ours") return { waited: grace.pair };
    }
    emit(core.config.observe, { type: "refresh", outcome: "rejected" });
    throw err;
  } finally {
    clearInterval(renew);
  }
}

/** Keep the new pair: its access token as valid, and the old one as refreshed, with the pair. */
async function record(
  core: Core,
  es: EntryStore,
  r: Refresh,
  pair: TokenPair,
  sentAt: number,
): Promise<void> {
  const valid = writeValid(core, es, pair.accessToken, es.mac(pair.accessToken), sentAt, true);
  if (core.config.graceMs <= 0 || r.am === null || r.accessToken === undefined) return await valid;
  // The pair goes under the old access token's key only when it is that token's
  // user's: an old access token (a Bearer credential services and logs have
  // seen) sent with a refresh token of another account must not replace the
  // grace pair its own session's other tabs are owed.
  // (Tokens that are not JWTs carry no user to compare: their pair is kept.)
  const before = jwtClaims(r.accessToken).sub, after = jwtClaims(pair.accessToken).sub;
  if (before !== null && after !== null && before !== after) return await valid;
  const old: RefreshedEntry = {
    kind: "refreshed",
    expiresAt: core.config.now() + core.config.graceMs,
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    refreshedWith: r.rm,
  };
  const am = r.am;
  // What the callers still holding the old pair wait for: retried. Written once
  // the new access token's entry is: a caller on another instance that finds
  // the grace pair checks that entry, and must not find it missing (it would
  // take the pair for someone else's and present the spent refresh token).
  await valid;
  await es.store.persist(() => es.write(es.key("at", am), old));
  // And, in this process, for a caller whose validation read the old token's
  // key before the write and whose refresh starts after this one ended: on a
  // store without claims (Workers KV) it would otherwise redeem the token again.
  core.missed.set(r.accessToken, old, old.expiresAt);
}

/**
 * Wait, bounded by `claimWaitMs`, for the redemption another caller claimed:
 * its pair, `done` (it is over and the pair is not for this caller), or
 * `released` (it gave up). Its claim still standing at the end: deferred.
 * Each look is one read of the claim and the keys where the outcome lands.
 */
async function awaitGrace(
  core: Core,
  es: EntryStore,
  r: Refresh,
): Promise<{ pair: TokenPair } | "done" | "released"> {
  const { now, claimWaitMs } = core.config;
  const deadline = now() + claimWaitMs;
  const started = Date.now();
  let holder: string | null = null;
  for (;;) {
    const keys = [r.claimKey];
    if (r.am !== null) keys.push(es.key("at", r.am));
    if (holder !== null) keys.push(es.key("at", holder));
    const raw = await es.rawMany(keys);
    const claim = raw[0] ?? null;
    const mine = r.am === null ? null : await es.opened(keys[1]!, raw[1], ["valid", "refreshed"]);
    const grace = await graceOf(core, es, r, mine?.kind === "refreshed" ? mine : null);
    if (grace.kind === "ours") return { pair: grace.pair };
    if (grace.kind === "other") return "done";
    if (holder !== null) {
      const theirs = await es.opened(keys.at(-1)!, raw.at(-1), ["valid", "refreshed"]);
      if (theirs?.kind === "refreshed" && theirs.refreshedWith === r.rm) return "done";
    }
    if (claim === null) return "released";
    const named = claim.includes(".") ? claim.slice(claim.indexOf(".") + 1) : "";
    if (holder === null && named !== "" && named !== r.am) {
      holder = named; // look at once where the holder's outcome lands
      continue;
    }
    // The injected clock may stand still in tests: the real one bounds the wait too.
    if (now() >= deadline || Date.now() - started >= claimWaitMs) throw inProgress(core);
    await sleep(POLL_MS);
  }
}

/**
 * The pair a refresh gave a moment ago, for a caller that still holds the
 * pair it replaced: only with the same access token and refresh token (the
 * refresh token alone unlocks nothing), and only while the new access token
 * is still valid in the cache (not revoked), so that a logout of the new pair
 * also closes the window.
 */
async function graceOf(
  core: Core,
  es: EntryStore,
  r: Refresh,
  entry: RefreshedEntry | null,
): Promise<Grace> {
  if (entry === null) return { kind: "none" };
  if (entry.refreshedWith !== r.rm || core.revocations.has(r.refreshToken)) {
    return { kind: "other" };
  }
  const valid = await lookupValid(core, es, entry.accessToken, es.mac(entry.accessToken));
  if (valid === "unanswered") {
    // The store is down: whether the new pair was revoked cannot be told, and
    // sending the spent refresh token upstream would log this caller out.
    const seconds = Math.ceil(es.store.retryAfterMs() / 1000);
    throw deferred(
      core,
      new AuthLiteUnavailableError("store", "the refreshed session could not be checked", seconds),
    );
  }
  if (valid === null || valid === "refreshed") return { kind: "other" };
  core.stats.graceHits++;
  emit(core.config.observe, { type: "cache", outcome: "grace-hit" });
  return {
    kind: "ours",
    pair: { accessToken: entry.accessToken, refreshToken: entry.refreshToken },
  };
}
