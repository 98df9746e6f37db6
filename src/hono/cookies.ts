/**
 * The session cookies: the access and refresh tokens in HttpOnly cookies,
 * and a profile cookie (uid, e-mail, name, picture, roles, and when the roles
 * were read) signed with the session secret and bound to the access token,
 * so that a good session is answered with no upstream call. The gateway sets
 * them; the middleware of users' own apps reads, refreshes and re-sets them
 * the same way.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { HmacSha256 } from "../_hmac.ts";
import type { CurrentUser } from "../client/mod.ts";

/** The signed-in user, as `getSession(c)` answers it. */
export interface Session {
  /** The user id. */
  uid: string;
  /** The e-mail address. */
  email: string;
  /** The display name, if known. */
  name: string | null;
  /** The picture URL, if known. */
  img: string | null;
  /**
   * The ids of the user's roles, read from upstream less than the role
   * cache's TTL ago (default 30 s) and after the last change of them made
   * through any instance sharing the client's store.
   */
  roles: string[];
}

/** Cookie settings of the session cookies. */
export interface SessionCookieOptions {
  /** Set the `Secure` attribute (default `true`). */
  secure?: boolean;
  /** Prefix of the cookie names (default `authlite_`). */
  prefix?: string;
  /** Lifetime of the session cookies in seconds (default 30 days). */
  maxAgeSeconds?: number;
  /** The `Domain` attribute (default none: host-only cookies). */
  domain?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const DEFAULT_MAX_AGE = 30 * 24 * 3600;

/**
 * The attributes of the session cookies: HttpOnly, Secure (unless turned
 * off), SameSite=Lax, Path=/.
 *
 * @param options the cookie settings
 * @returns the attributes for `setCookie`
 */
function sessionCookieAttributes(options: SessionCookieOptions = {}): CookieOptions {
  return {
    httpOnly: true,
    secure: options.secure ?? true,
    sameSite: "Lax",
    path: "/",
    maxAge: options.maxAgeSeconds ?? DEFAULT_MAX_AGE,
    ...(options.domain === undefined ? {} : { domain: options.domain }),
  };
}

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** Compare two byte strings in time that depends only on their lengths. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function readProfile(value: unknown): CurrentUser | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const nullableString = (x: unknown) => x === null || typeof x === "string";
  if (
    typeof v["uid"] !== "string" || typeof v["email"] !== "string" ||
    !nullableString(v["name"]) || !nullableString(v["img"]) ||
    !Array.isArray(v["roles"]) || !v["roles"].every((r) => typeof r === "string")
  ) return undefined;
  const t = v["t"];
  return {
    uid: v["uid"],
    email: v["email"],
    name: v["name"] as string | null,
    img: v["img"] as string | null,
    roles: v["roles"] as string[],
    // A cookie of before this field: roles of unknown age, read again.
    readAt: typeof t === "number" && Number.isFinite(t) ? t : 0,
  };
}

const parsed = new WeakMap<Request, Record<string, string>>();

/**
 * The request's cookies, parsed once per request (a session reads three of
 * them, and each `getCookie(c, name)` parses the whole header again).
 */
function requestCookies(c: Context): Record<string, string> {
  const request = c.req.raw;
  let jar = parsed.get(request);
  if (jar === undefined) {
    jar = getCookie(c);
    parsed.set(request, jar);
  }
  return jar;
}

/** Verified profile cookies kept in process, at most (then the map starts again). */
const VERIFIED_MAX = 10_000;

// The signature covers the access token too: a profile cookie is good only
// next to the access token it was issued with.
function signed(payload: string, access: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${payload}\n${access}`);
}

/** The session cookies of one site (the gateway's, read by users' apps too). */
export class SessionCookies {
  // Synchronous: Web Crypto costs tens of microseconds a call on some
  // runtimes, and every request with a session checks this signature.
  #mac: HmacSha256 | undefined;
  #verified = new Map<string, CurrentUser>();
  #prefix: string;
  #attributes: CookieOptions;

  /**
   * Create the cookies of one site.
   *
   * @param secret the key that signs profile cookies (the gateway's
   *   `sessionSecret`); without it no profile cookie is read or written
   * @param options the cookie settings
   */
  constructor(secret: string | undefined, options: SessionCookieOptions = {}) {
    this.#mac = secret === undefined
      ? undefined
      : new HmacSha256(encoder.encode(`authlite-gateway-profile-v1:${secret}`));
    this.#prefix = options.prefix ?? "authlite_";
    this.#attributes = sessionCookieAttributes(options);
  }

  /**
   * The tokens of the request's session cookies.
   *
   * @param c the context
   * @returns the tokens found (either may be missing)
   */
  tokens(c: Context): { access: string | undefined; refresh: string | undefined } {
    return {
      access: requestCookies(c)[`${this.#prefix}access`] || undefined,
      refresh: requestCookies(c)[`${this.#prefix}refresh`] || undefined,
    };
  }

  /**
   * Set the session cookies of a new or rotated session.
   *
   * @param c the context
   * @param access the access token
   * @param refresh the refresh token, if any
   * @param profile the user to sign and bind to the access token; its roles
   *   are taken as read now unless it says when (`readAt`)
   */
  set(
    c: Context,
    access: string,
    refresh: string | null,
    profile: Session | CurrentUser,
  ): void {
    setCookie(c, `${this.#prefix}access`, access, this.#attributes);
    if (refresh !== null) setCookie(c, `${this.#prefix}refresh`, refresh, this.#attributes);
    if (this.#mac === undefined) {
      // A profile cookie bound to the old access token is of no use any more.
      if (requestCookies(c)[`${this.#prefix}profile`] !== undefined) this.#delete(c, "profile");
      return;
    }
    const readAt = "readAt" in profile ? profile.readAt : Date.now();
    setCookie(c, `${this.#prefix}profile`, this.#sign(profile, readAt, access), this.#attributes);
  }

  /**
   * Clear every session cookie.
   *
   * @param c the context
   */
  clear(c: Context): void {
    for (const name of ["access", "refresh", "profile"]) this.#delete(c, name);
  }

  /**
   * The user of the request's profile cookie, if it is signed with this
   * secret and bound to `access`.
   *
   * @param c the context
   * @param access the access token of the session
   * @returns the user with the time their roles were read, or `undefined`
   */
  profile(c: Context, access: string): CurrentUser | undefined {
    if (this.#mac === undefined) return undefined;
    const raw = requestCookies(c)[`${this.#prefix}profile`];
    if (raw === undefined) return undefined;
    // A cookie is verified once per distinct value next to its access token;
    // the result is kept in process (the process holds both anyway), frozen.
    const key = `${access}\n${raw}`;
    const seen = this.#verified.get(key);
    if (seen !== undefined) return seen;
    const user = this.#verify(raw, access);
    if (user !== undefined) {
      if (this.#verified.size >= VERIFIED_MAX) this.#verified.clear();
      this.#verified.set(
        key,
        Object.freeze({ ...user, roles: Object.freeze([...user.roles]) }) as CurrentUser,
      );
      return this.#verified.get(key);
    }
    return undefined;
  }

  #verify(raw: string, access: string): CurrentUser | undefined {
    if (this.#mac === undefined) return undefined;
    const [payload, signature, extra] = raw.split(".");
    if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
    const sig = unb64url(signature);
    const body = unb64url(payload);
    if (sig === undefined || body === undefined) return undefined;
    if (!sameBytes(this.#mac.sign(signed(payload, access)), sig)) return undefined;
    try {
      return readProfile(JSON.parse(decoder.decode(body)));
    } catch {
      return undefined;
    }
  }

  #delete(c: Context, name: string): void {
    const { maxAge: _maxAge, ...attributes } = this.#attributes;
    deleteCookie(c, `${this.#prefix}${name}`, attributes);
  }

  #sign(profile: Session, readAt: number, access: string): string {
    const { uid, email, name, img, roles } = profile;
    const json = JSON.stringify({ uid, email, name, img, roles, t: readAt });
    const payload = b64url(encoder.encode(json));
    const mac = this.#mac as HmacSha256;
    return `${payload}.${b64url(mac.sign(signed(payload, access)))}`;
  }
}
