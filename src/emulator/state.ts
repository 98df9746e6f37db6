/**
 * The emulator's state: organisations, their users, roles, login codes, tokens,
 * settings forms, the clock, the fault queue and the request counters. Every
 * mutating method validates all of its input before it changes anything.
 *
 * @module
 */

import { type Fault, faultProblem, FaultQueue } from "./_faults.ts";
import { randomId, safeEqual, signJwt, verifyJwt } from "./jwt.ts";

export type { Fault } from "./_faults.ts";

/** An organisation the emulator serves. */
export interface EmulatorOrg {
  /** The organisation id (`org_id`). */
  orgId: string;
  /** The API key (`api_key`). */
  apiKey: string;
  /** The secret key: signs the signed key, the tokens and the signed replies. */
  secretKey: string;
  /** Where the login widget sends the browser back, with `?code=`. */
  callbackUrl: string;
  /** A display name for the widget. */
  name?: string;
}

/** A user as the emulator stores it. */
export interface EmulatorUser {
  /** The user id. */
  uid: string;
  /** The e-mail address (unique in an organisation). */
  email: string;
  /** The display name. */
  name: string;
  /** The picture URL (may be empty). */
  img: string;
  /** The ids of the user's roles. */
  roles: string[];
}

/** The fields of a user to create or update (`roles` is checked at run time). */
export interface UserFields {
  /** The e-mail address. */
  email: string;
  /** The display name. */
  name?: string | undefined;
  /** The picture URL. */
  img?: string | undefined;
  /** The ids of the user's roles (replacing any). */
  roles?: string[] | undefined;
  /** An explicit user id, for a new user. */
  uid?: string | undefined;
}

/** A role as the wire shows it. */
export interface EmulatorRole {
  /** The organisation id. */
  org_id: string;
  /** The role id. */
  rol_id: string;
  /** The role's name. */
  name: string;
  /** The permissions, one single-key object each. */
  permissions: Record<string, string>[];
}

/** An error the emulator answers as `{detail}` with `status`. */
export class EmulatorError extends Error {
  /** The HTTP status the emulator answers for it. */
  readonly status: number;

  /**
   * Create an error the emulator answers with `status`.
   *
   * @param status the HTTP status
   * @param detail the message, also the `detail` of the JSON reply
   */
  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
    this.name = this.constructor.name;
  }
}

/** A session just issued. */
export interface IssuedSession {
  /** The user. */
  user: EmulatorUser;
  /** The access token. */
  accessToken: string;
  /** The refresh token. */
  refreshToken: string;
  /** When the access token expires, in seconds since the epoch. */
  accessExp: number;
  /** When the refresh token expires, in seconds since the epoch. */
  refreshExp: number;
  /** When both were issued, in seconds since the epoch. */
  iat: number;
}

/** A token that passed every check. */
export interface CheckedToken {
  /** The user it belongs to. */
  user: EmulatorUser;
  /** Its id. */
  jti: string;
  /** Its claims. */
  claims: Record<string, unknown>;
}

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

/** TTLs and clock of a {@linkcode State}. */
export interface StateOptions {
  /** Access token lifetime, seconds. */
  accessTokenTtlSeconds: number;
  /** Refresh token lifetime, seconds. */
  refreshTokenTtlSeconds: number;
  /** Login code lifetime, seconds. */
  codeTtlSeconds: number;
  /** The base clock, ms. */
  now: () => number;
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

/** One organisation's data. */
export class OrgState {
  /** The organisation. */
  readonly org: EmulatorOrg;
  /** Its signed key, computed once. */
  readonly signedKey: string;
  readonly #state: State;
  #users = new Map<string, EmulatorUser>();
  #roles = new Map<string, { name: string; permissions: Map<string, string> }>();
  #tokens = new ExpiringMap<TokenRecord>();
  #codes = new ExpiringMap<Expiring>();
  #forms = new ExpiringMap<FormRecord>();

  /**
   * @param org the organisation
   * @param state the emulator state it belongs to (clock, TTLs)
   */
  constructor(org: EmulatorOrg, state: State) {
    this.org = org;
    this.#state = state;
    this.signedKey = signJwt({ api_key: org.apiKey }, org.secretKey);
  }

  /** Forget every user, role, token, code and form. */
  clear(): void {
    this.#users.clear();
    this.#roles.clear();
    this.#tokens.clear();
    this.#codes.clear();
    this.#forms.clear();
  }

  /** @returns the number of roles (the `X-EDGE` header) */
  roleCount(): number {
    return this.#roles.size;
  }

  // --- users

  /**
   * Create a user, or update the one with this e-mail (or uid).
   *
   * @param u the user's fields
   * @returns the user
   * @throws {EmulatorError} on invalid input or an unknown role
   */
  upsertUser(u: UserFields): EmulatorUser {
    const email = checkEmail(u.email);
    if (u.name !== undefined) checkText(u.name, "name");
    if (u.img !== undefined) checkText(u.img, "img");
    if (u.uid !== undefined) checkText(u.uid, "uid", true);
    if (u.roles !== undefined) this.#checkRoleIds(u.roles);
    const existing = this.findByEmail(email);
    const other = u.uid !== undefined ? this.#users.get(u.uid) : undefined;
    if (other && other !== existing) {
      throw new EmulatorError(409, `User id already taken: ${u.uid}`);
    }
    if (existing && u.uid !== undefined && existing.uid !== u.uid) {
      throw new EmulatorError(409, `E-mail already used by another user: ${email}`);
    }
    const user = existing ?? {
      uid: u.uid ?? `uid_${randomId(12)}`,
      email,
      name: email.split("@")[0] ?? email,
      img: "",
      roles: [],
    };
    if (u.name !== undefined) user.name = u.name;
    if (u.img !== undefined) user.img = u.img;
    if (u.roles !== undefined) user.roles = [...new Set(u.roles)];
    this.#users.set(user.uid, user);
    return user;
  }

  /**
   * @param email an e-mail address
   * @returns the user with it, if any
   */
  findByEmail(email: string): EmulatorUser | undefined {
    const e = email.toLowerCase();
    for (const u of this.#users.values()) if (u.email.toLowerCase() === e) return u;
    return undefined;
  }

  /**
   * @param uid a user id
   * @returns the user
   * @throws {EmulatorError} 404 when there is none
   */
  user(uid: string): EmulatorUser {
    const user = this.#users.get(uid);
    if (!user) throw new EmulatorError(404, `Unknown user: ${uid}`);
    return user;
  }

  /**
   * Find a user by uid or e-mail; with `create`, an unknown e-mail signs up a new user.
   *
   * @param who uid or e-mail
   * @param create whether an unknown e-mail creates the user
   * @returns the user
   * @throws {EmulatorError} when neither is given or the user is unknown
   */
  resolveUser(
    who: { email?: string | undefined; uid?: string | undefined },
    create: boolean,
  ): EmulatorUser {
    if (who.uid !== undefined) return this.user(who.uid);
    if (who.email === undefined) throw new EmulatorError(400, "Missing field: email or uid");
    const found = this.findByEmail(checkEmail(who.email));
    if (found) return found;
    if (!create) throw new EmulatorError(404, "Unknown user");
    return this.upsertUser({ email: who.email });
  }

  // --- roles

  /** @returns every role, in creation order */
  listRoles(): EmulatorRole[] {
    return [...this.#roles.keys()].map((id) => this.role(id));
  }

  /**
   * @param rolId a role id
   * @returns the role
   * @throws {EmulatorError} 404 when unknown
   */
  role(rolId: string): EmulatorRole {
    const r = this.#roles.get(rolId);
    if (!r) throw new EmulatorError(404, `Unknown role: ${rolId}`);
    return {
      org_id: this.org.orgId,
      rol_id: rolId,
      name: r.name,
      permissions: [...r.permissions].map(([k, v]) => ({ [k]: v })),
    };
  }

  /**
   * @param name the role's name
   * @param permissions its permissions
   * @param rolId an explicit id (default: a random one)
   * @returns the new role
   * @throws {EmulatorError} on invalid input or a taken id
   */
  addRole(name: unknown, permissions: unknown, rolId?: string): EmulatorRole {
    const n = checkText(name, "name", true);
    const perms = parsePermissions(permissions);
    if (rolId !== undefined) checkText(rolId, "rol_id", true);
    const id = rolId ?? `rol_${randomId(9)}`;
    if (this.#roles.has(id)) throw new EmulatorError(409, `Role id already taken: ${id}`);
    this.#roles.set(id, { name: n, permissions: new Map(perms) });
    return this.role(id);
  }

  /**
   * Delete a role and take it away from every user.
   *
   * @param rolId the role id
   * @returns the deleted role
   * @throws {EmulatorError} 404 when unknown
   */
  deleteRole(rolId: string): EmulatorRole {
    const role = this.role(rolId);
    this.#roles.delete(rolId);
    for (const u of this.#users.values()) u.roles = u.roles.filter((r) => r !== rolId);
    return role;
  }

  /**
   * @param rolId the role id
   * @param permissions the permissions to add (a key already there takes the new value)
   * @returns the added permissions
   * @throws {EmulatorError} on invalid input or an unknown role
   */
  addPermissions(rolId: string, permissions: unknown): Record<string, string>[] {
    const perms = parsePermissions(permissions);
    const role = this.#roles.get(rolId);
    if (!role) throw new EmulatorError(404, `Unknown role: ${rolId}`);
    for (const [k, v] of perms) role.permissions.set(k, v);
    return perms.map(([k, v]) => ({ [k]: v }));
  }

  /**
   * @param rolId the role id
   * @param permissions the permissions to remove (by key and value; absent ones are ignored)
   * @returns what remains
   * @throws {EmulatorError} on invalid input or an unknown role
   */
  deletePermissions(rolId: string, permissions: unknown): Record<string, string>[] {
    const perms = parsePermissions(permissions);
    const role = this.#roles.get(rolId);
    if (!role) throw new EmulatorError(404, `Unknown role: ${rolId}`);
    for (const [k, v] of perms) if (role.permissions.get(k) === v) role.permissions.delete(k);
    return this.role(rolId).permissions;
  }

  /**
   * Change a user's roles: add `add`, then remove `remove`.
   *
   * @param uid the user id
   * @param add role ids to add
   * @param remove role ids to remove
   * @returns the user
   * @throws {EmulatorError} on an unknown user or role
   */
  assignRoles(uid: string, add: string[], remove: string[]): EmulatorUser {
    const user = this.user(uid);
    this.#checkRoleIds([...add, ...remove]);
    const roles = new Set([...user.roles, ...add]);
    for (const r of remove) roles.delete(r);
    user.roles = [...roles];
    return user;
  }

  #checkRoleIds(ids: unknown): void {
    if (!Array.isArray(ids) || ids.some((r) => typeof r !== "string")) {
      throw new EmulatorError(400, "Invalid roles: a list of role ids is expected");
    }
    for (const r of ids as string[]) {
      if (!this.#roles.has(r)) throw new EmulatorError(404, `Unknown role: ${r}`);
    }
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
    const user = rec ? this.#users.get(rec.uid) : undefined;
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
    const user = this.#users.get(rec.uid);
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

/**
 * @param v a value
 * @param field its name, for the message
 * @param nonEmpty whether it must not be empty
 * @returns the value as a string
 * @throws {EmulatorError} 400 when it is not a string of at most 2048 characters
 */
export function checkText(v: unknown, field: string, nonEmpty = false): string {
  if (typeof v !== "string" || v.length > 2048 || (nonEmpty && v.trim() === "")) {
    throw new EmulatorError(400, `Invalid field: ${field}`);
  }
  return v;
}

function checkEmail(v: unknown): string {
  const e = checkText(v, "email", true).trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(e) || e.length > 320) {
    throw new EmulatorError(400, "Invalid field: email");
  }
  return e;
}

function parsePermissions(v: unknown): Array<[string, string]> {
  if (!Array.isArray(v)) {
    throw new EmulatorError(
      400,
      "Invalid field: permissions must be a list of {key: value} objects",
    );
  }
  const out: Array<[string, string]> = [];
  for (const p of v) {
    if (typeof p !== "object" || p === null || Array.isArray(p) || Object.keys(p).length === 0) {
      throw new EmulatorError(
        400,
        "Invalid field: permissions must be a list of {key: value} objects",
      );
    }
    for (const [k, val] of Object.entries(p)) {
      if (k === "" || typeof val !== "string") {
        throw new EmulatorError(400, "Invalid field: permission values must be strings");
      }
      out.push([k, val]);
    }
  }
  return out;
}
