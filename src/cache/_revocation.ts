/**
 * Revocations: what `forget()` leaves behind so that a revoked token is
 * refused here at once and on every instance sharing the store within the
 * recheck bound.
 *
 * - A **tombstone** per revoked token, in process and in the store (`rv:`),
 *   for a token the cache knew as valid or whose revoke upstream confirmed. A
 *   validation racing the revoke cannot overwrite it: readers check it beside
 *   the valid entry.
 * - A **provisional tombstone** in process for every token of every
 *   `forget()`, known valid or not: it only guards writes racing the revoke,
 *   so bogus logouts churn these and never push out a real tombstone.
 * - A per-user **watermark** (`wm:`): every token of the user validated
 *   before it is refused (a sign-out of every session, confirmed upstream).
 *   It reaches a little ahead of this clock, to cover clock skew.
 *
 * A revoke whose store writes fail is retried and kept in process: never lost.
 *
 * @module
 */
import type { Core } from "./_core.ts";
import { type TombstoneEntry, userKeyOf, type WatermarkEntry } from "./_entries.ts";
import { jwtClaims } from "./_crypto.ts";
import { BoundedMap } from "../_bounded_map.ts";
import type { ForgetOptions } from "./types.ts";
import { emit } from "../_events.ts";

/** Clocks of the instances may differ by this much: a watermark reaches this far ahead. */
const WATERMARK_SKEW_MS = 500;
/** The most revocations of each sort remembered in process. */
const MAX_REMEMBERED = 10_000;

/** What this process revoked: tombstones, provisional tombstones and watermarks. */
export class Revocations {
  /** Tokens revoked by this process: never cached again here, store entries refused. */
  #tombstones: BoundedMap<string, true>;
  /** Tombstones of every forget(), known valid or not: they only guard writes racing it. */
  #provisional: BoundedMap<string, true>;
  /** Watermarks this process set (user key → revoked-before, ms), in case the store lost them. */
  #watermarks: BoundedMap<string, number>;

  constructor(now: () => number) {
    this.#tombstones = new BoundedMap(MAX_REMEMBERED, { now, touch: true });
    this.#provisional = new BoundedMap(MAX_REMEMBERED, { now, touch: true });
    this.#watermarks = new BoundedMap(MAX_REMEMBERED, { now, touch: true });
  }

  /** Whether a forget() of this token is remembered (kept or provisional). */
  has(token: string): boolean {
    return this.#tombstones.get(token) !== undefined || this.#provisional.get(token) !== undefined;
  }

  /** Whether a token of `user` vouched for at `validatedAt` is revoked, as far as this process knows. */
  refuses(token: string, user: string | null, validatedAt: number): boolean {
    if (this.has(token)) return true;
    const mark = user === null ? undefined : this.#watermarks.get(user);
    return mark !== undefined && validatedAt < mark;
  }

  provisional(token: string, until: number): void {
    this.#provisional.set(token, true, until);
  }

  keep(token: string, until: number): void {
    this.#tombstones.set(token, true, until);
  }

  watermark(user: string, revokedBefore: number, until: number): void {
    this.#watermarks.set(user, revokedBefore, until);
  }
}

/**
 * Forget every entry of `tokens`, in process and in the store, leaving the
 * tombstones and watermark the revoke earned. Never throws.
 */
export async function forget(
  core: Core,
  tokens: readonly string[],
  options: ForgetOptions,
): Promise<void> {
  const { config, layer, revocations } = core;
  const now = config.now();
  const until = now + config.ttlMs + config.graceMs + (config.layer?.recheckMs ?? 0) + 1000;
  const all = options.all === true && options.confirmed === true;
  emit(config.observe, { type: "revoke", all });
  const given = tokens.filter((t): t is string => typeof t === "string" && t !== "");
  let known = options.confirmed === true;
  for (const token of given) {
    // At once, before any await: a validation racing this revoke loses.
    revocations.provisional(token, until);
    if (layer?.delete(token) === true) known = true;
    core.flights.drop(`a:${token}`);
    core.missed.delete(token);
  }
  // Only a token that was valid (or whose revoke the upstream confirmed)
  // earns a kept tombstone, in process and in the store: a stream of bogus
  // logouts can neither write entries for anybody nor push out the
  // tombstone of a real revoke (they only churn the provisional ones).
  if (known) { for (const token of given) revocations.keep(token, until); }
  const es = await core.entries();
  const hashes = given.map((t) => es.mac(t));
  if (!known) {
    const found = await Promise.all(
      hashes.map((h) => es.read(es.key("at", h), "valid", "refreshed")),
    );
    known = found.some((e) => e?.kind === "valid");
    if (known) { for (const token of given) revocations.keep(token, until); }
  }
  const store = es.store;
  const work: Promise<unknown>[] = [];
  for (const h of hashes) {
    if (known) {
      const stone: TombstoneEntry = { kind: "revoked", expiresAt: until };
      work.push(store.persist(() => es.write(es.key("rv", h), stone), true));
    }
    // The token's entry (valid, or refreshed with its grace pair) and any refresh claim of it.
    for (const tag of ["at", "cl"] as const) {
      const key = es.key(tag, h);
      work.push(store.persist(async () => (await store.delete(key)).ok));
    }
  }
  if (all) {
    const users = new Set<string>();
    for (const token of given) {
      const sub = jwtClaims(token).sub;
      if (sub !== null) users.add(userKeyOf(es.keys, sub));
    }
    // Ahead of this clock by the skew other instances' clocks may have.
    const revokedBefore = now + WATERMARK_SKEW_MS;
    for (const user of users) {
      revocations.watermark(user, revokedBefore, until);
      layer?.deleteUser(user);
      const mark: WatermarkEntry = { kind: "watermark", expiresAt: until, revokedBefore };
      work.push(store.persist(() => es.write(es.key("wm", user), mark), true));
    }
  }
  await Promise.all(work);
}
