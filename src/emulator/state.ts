/**
 * The emulator's state: organisations (their users and roles in
 * `_directory.ts`; here their login codes, settings forms and tokens), the
 * clock, the fault queue and the request counters. Every mutating method
 * validates all of its input before it changes anything.
 *
 * @module
 */

import { type Fault, faultProblem, FaultQueue } from "./_faults.ts";
import { Directory } from "./_directory.ts";
import { randomId, safeEqual, signJwt, verifyJwt } from "./jwt.ts";
import {
  type CheckedToken,
  EmulatorError,
  type EmulatorOrg,
  type EmulatorUser,
  type IssuedSession,
  type StateOptions,
} from "./_model.ts";

export type { Fault } from "./_faults.ts";
export {
  type CheckedToken,
  checkText,
  EmulatorError,
  type EmulatorOrg,
  type EmulatorRole,
  type EmulatorUser,
  type IssuedSession,
  type StateOptions,
  type UserFields,
} from "./_model.ts";

interface TokenRecord {
  uid: string;
  type: "access" | "refresh";
  exp: number;
  revoked: boolean;
}

interface Expiring {
  uid: string;
  exp: number;
}

interface FormRecord extends Expiring {
  url: string;
}

/** A map of expiring records that drops the expired ones now and then, in amortised O(1). */
class ExpiringMap<T extends { exp: number }> extends Map<string, T> {
  #limit = 1024;

  /** Add a record; past the size limit, drop the expired ones and double the limit. */
  add(key: string, value: T, now: number): void {
    this.set(key, value);
    if (this.size <= this.#limit) return;
    for (const [k, v] of this) if (v.exp <= now) this.delete(k);
    this.#limit = Math.max(1024, this.size * 2);
  }
}

/** One organisation's data: its users and roles ({@linkcode Directory}), codes, forms and tokens. */
export class OrgState extends Directory {
  /** The organisation. */
  readonly org: EmulatorOrg;
  /** Its signed key, computed once. */
  readonly signedKey: string;
  readonly #state: State;
  #tokens = new ExpiringMap<TokenRecord>();
  #codes = new ExpiringMap<Expiring>();
  #forms = new ExpiringMap<FormRecord>();

  /**
   * @param org the organisation
   * @param state the emulator state it belongs to (clock, TTLs)
   */
  constructor(org: EmulatorOrg, state: State) {
    super(org.orgId);
    this.org = org;
    this.#state = state;
    this.signedKey = signJwt({ api_key: org.apiKey }, org.secretKey);
  }

  /** Forget every user, role, token, code and form. */
  override clear(): void {
    super.clear();
    this.#tokens.clear();
    this.#codes.clear();
    this.#forms.clear();
  }

  // --- codes and forms

  /**
   * @param uid the user the code signs in
   * @returns a new single-use login code
   * @throws {EmulatorError} 404 when the user is unknown
   */
  mintCode(uid: string): string {
    this.user(uid);
    const code = randomId(24);
    const now = this.#state.nowSeconds();
    this.#codes.add(code, { uid, exp: now + this.#state.options.codeTtlSeconds }, now);
    return code;
  }

  /**
   * Use up a login code.
   *
   * @param code the code
   * @returns its user
   * @throws {EmulatorError} 401 when the code is unknown, used or expired
   */
  consumeCode(code: string): EmulatorUser {
    const rec = this.#codes.get(code);
    this.#codes.delete(code);
    if (!rec) throw new EmulatorError(401, "Invalid code: unknown or already used");
    if (this.#state.nowSeconds() >= rec.exp) throw new EmulatorError(401, "Invalid code: expired");
    return this.user(rec.uid);
  }

  /**
   * @param uid the user the settings form edits
   * @param url where to send the browser afterwards
   * @returns an opaque, single-use form id
   */
  openForm(uid: string, url: string): string {
    const id = randomId(24);
    const now = this.#state.nowSeconds();
    this.#forms.add(id, { uid, url, exp: now + this.#state.options.codeTtlSeconds * 4 }, now);
    return id;
  }

  /**
   * Use up a settings form id.
   *
   * @param id the form id
   * @returns the user and return URL, or `undefined` when the id is unknown, used or expired
   */
  takeForm(id: string): { user: EmulatorUser; url: string } | undefined {
    const rec = this.#forms.get(id);
    this.#forms.delete(id);
    const user = rec ? this.findUser(rec.uid) : undefined;
    if (!rec || !user || this.#state.nowSeconds() >= rec.exp) return undefined;
    return { user, url: rec.url };
  }

  // --- tokens

  /**
   * Issue an access and a refresh token for a user.
   *
   * @param uid the user id
   * @returns the session
   * @throws {EmulatorError} 404 when the user is unknown
   */
  issueSession(uid: string): IssuedSession {
    const user = this.user(uid);
    const { accessTokenTtlSeconds, refreshTokenTtlSeconds } = this.#state.options;
    const iat = this.#state.nowSeconds();
    const accessExp = iat + accessTokenTtlSeconds;
    const refreshExp = iat + refreshTokenTtlSeconds;
    const base = { sub: uid, iat, org_id: this.org.orgId };
    const aJti = randomId(16);
    const rJti = randomId(16);
    const accessToken = signJwt(
      { ...base, type: "access", exp: accessExp, jti: aJti, scope: JSON.stringify(user.roles) },
      this.org.secretKey,
    );
    const refreshToken = signJwt(
      { ...base, type: "refresh", exp: refreshExp, jti: rJti },
      this.org.secretKey,
    );
    this.#tokens.add(aJti, { uid, type: "access", exp: accessExp, revoked: false }, iat);
    this.#tokens.add(rJti, { uid, type: "refresh", exp: refreshExp, revoked: false }, iat);
    return { user, accessToken, refreshToken, accessExp, refreshExp, iat };
  }

  /**
   * Check a token: signature, type, organisation, not revoked, not expired.
   *
   * @param token the token
   * @param type the type it must have (any, if omitted)
   * @param allowDead accept a revoked or expired token (to revoke it again)
   * @returns the token's user, id and claims
   * @throws {EmulatorError} 401 when it fails a check
   */
  checkToken(token: string, type?: "access" | "refresh", allowDead = false): CheckedToken {
    const claims = verifyJwt(token, this.org.secretKey);
    const jti = claims?.jti;
    const rec = typeof jti === "string" ? this.#tokens.get(jti) : undefined;
    if (!claims || !rec || typeof jti !== "string" || claims.org_id !== this.org.orgId) {
      throw new EmulatorError(401, "Invalid token");
    }
    if (type && rec.type !== type) {
      throw new EmulatorError(401, `Invalid token: not an ${type} token`);
    }
    // A refresh token presented again after it was redeemed is what reuse detection sees.
    if (type === "refresh") this.#state.noteRefresh(jti);
    if (!allowDead && rec.revoked) throw new EmulatorError(401, "Invalid token: revoked");
    if (!allowDead && this.#state.nowSeconds() >= rec.exp) {
      throw new EmulatorError(401, "Invalid token: expired");
    }
    const user = this.findUser(rec.uid);
    if (!user) throw new EmulatorError(401, "Invalid token: unknown user");
    return { user, jti, claims };
  }

  /** @param jti the id of the token to revoke */
  revoke(jti: string): void {
    const rec = this.#tokens.get(jti);
    if (rec) rec.revoked = true;
  }

  /** @param uid the user whose every token is revoked */
  revokeAll(uid: string): void {
    for (const rec of this.#tokens.values()) if (rec.uid === uid) rec.revoked = true;
  }
}

/** The whole emulator state. */
export class State {
  /** The TTLs and base clock. */
  readonly options: StateOptions;
  /** The organisations, in configuration order. */
  readonly orgs: OrgState[];
  #offsetMs = 0;
  #faults: FaultQueue;
  #byPath = new Map<string, number>();
  /** How many times each refresh token (by id) was presented to be redeemed. */
  #refreshes = new Map<string, number>();

  /**
   * @param orgs the organisations
   * @param options TTLs and clock
   * @throws {EmulatorError} on an invalid configuration
   */
  constructor(orgs: EmulatorOrg[], options: StateOptions) {
    for (
      const k of ["accessTokenTtlSeconds", "refreshTokenTtlSeconds", "codeTtlSeconds"] as const
    ) {
      if (!Number.isFinite(options[k]) || options[k] <= 0) {
        throw new EmulatorError(500, `Invalid option: ${k} must be a positive number`);
      }
    }
    if (orgs.length === 0) throw new EmulatorError(500, "Invalid option: orgs is empty");
    const ids = new Set<string>();
    const keys = new Set<string>();
    for (const o of orgs) {
      for (const f of ["orgId", "apiKey", "secretKey", "callbackUrl"] as const) {
        if (typeof o[f] !== "string" || o[f] === "") {
          throw new EmulatorError(500, `Invalid option: orgs[].${f} must be a non-empty string`);
        }
      }
      if (!URL.canParse(o.callbackUrl)) {
        throw new EmulatorError(500, `Invalid option: orgs[].callbackUrl is not a URL: ${o.orgId}`);
      }
      if (ids.has(o.orgId) || keys.has(o.apiKey)) {
        throw new EmulatorError(500, `Invalid option: orgs share an orgId or apiKey: ${o.orgId}`);
      }
      ids.add(o.orgId);
      keys.add(o.apiKey);
    }
    this.options = options;
    this.#faults = new FaultQueue(options.now);
    this.orgs = orgs.map((o) => new OrgState({ ...o }, this));
  }

  /** @returns the emulator's clock, ms */
  now(): number {
    return this.options.now() + this.#offsetMs;
  }

  /** @returns the emulator's clock, whole seconds */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /**
   * @param seconds how far to move the clock forward
   * @throws {EmulatorError} 400 when not a finite number
   */
  advanceClock(seconds: number): void {
    if (typeof seconds !== "number" || !Number.isFinite(seconds)) {
      throw new EmulatorError(400, "Invalid advance_seconds: a finite number is expected");
    }
    this.#offsetMs += seconds * 1000;
  }

  /**
   * @param orgId an organisation id (default: the first organisation)
   * @returns the organisation's state
   * @throws {EmulatorError} 404 when unknown
   */
  org(orgId?: string): OrgState {
    if (orgId === undefined) return this.orgs[0]!;
    const org = this.orgs.find((o) => o.org.orgId === orgId);
    if (!org) throw new EmulatorError(404, `Unknown organisation: ${orgId}`);
    return org;
  }

  /**
   * @param apiKey an API key
   * @returns the organisation that has it, if any
   */
  orgByApiKey(apiKey: string): OrgState | undefined {
    return this.orgs.find((o) => safeEqual(o.org.apiKey, apiKey));
  }

  /**
   * Queue a fault.
   *
   * @param fault the fault
   * @returns how many faults are queued
   * @throws {EmulatorError} 400 when the fault is invalid
   */
  inject(fault: Fault): number {
    const problem = faultProblem(fault);
    if (problem !== undefined) throw new EmulatorError(400, problem);
    return this.#faults.add(fault);
  }

  /**
   * Take one use of the first queued fault that matches this call.
   *
   * @param path the API path
   * @param signed whether the endpoint answers a signed reply
   * @returns the fault, if any
   */
  takeFault(path: string, signed: boolean): Fault | undefined {
    return this.#faults.take(path, signed);
  }

  /**
   * Drop every queued fault (those with a window included).
   *
   * @returns how many were dropped
   */
  clearFaults(): number {
    return this.#faults.clear();
  }

  /** @param jti the id of a refresh token presented to be redeemed (valid or not any more) */
  noteRefresh(jti: string): void {
    this.#refreshes.set(jti, (this.#refreshes.get(jti) ?? 0) + 1);
  }

  /**
   * @returns the refresh tokens presented so far: `presented` (calls), `tokens` (distinct),
   *   `reused` (tokens presented more than once), `most` (the most times one was)
   */
  refreshes(): { presented: number; tokens: number; reused: number; most: number } {
    let presented = 0, reused = 0, most = 0;
    for (const n of this.#refreshes.values()) {
      presented += n;
      if (n > 1) reused++;
      if (n > most) most = n;
    }
    return { presented, tokens: this.#refreshes.size, reused, most };
  }

  /** @param path the path of an API call to count */
  count(path: string): void {
    this.#byPath.set(path, (this.#byPath.get(path) ?? 0) + 1);
  }

  /** @returns the API calls so far, by path */
  requests(): { total: number; byPath: Record<string, number> } {
    const byPath = Object.fromEntries(this.#byPath);
    return { total: Object.values(byPath).reduce((a, b) => a + b, 0), byPath };
  }

  /** Forget the request counts and the refresh tokens presented. */
  resetRequests(): void {
    this.#byPath.clear();
    this.#refreshes.clear();
  }

  /** Back to the initial state: no data, no faults, no counts, clock offset zero. */
  reset(): void {
    for (const o of this.orgs) o.clear();
    this.#faults.clear();
    this.#byPath.clear();
    this.#refreshes.clear();
    this.#offsetMs = 0;
  }
}
