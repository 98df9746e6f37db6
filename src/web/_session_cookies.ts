/**
 * The session cookies as text: the access and refresh tokens in HttpOnly
 * cookies, and a profile cookie (uid, e-mail, name, picture, roles, and when
 * the roles were read) signed with the session secret and bound to the access
 * token, so that a good session is answered with no upstream call. Read from
 * a parsed `Cookie` header; written as `Set-Cookie` lines. The gateway, the
 * Hono middleware and `sessionFromRequest()` all use this one codec.
 *
 * @module
 */
import type { HmacSha256 } from "../_hmac.ts";
import { labelledKey } from "../_kdf.ts";
import type { CurrentUser } from "../client/mod.ts";
import { decodeBase64url, encodeBase64url } from "../_base64url.ts";
import { timingSafeEqual } from "../_compare.ts";
import { clearCookie, type CookieAttributes, serializeCookie } from "./_cookie.ts";
import { type Session, sessionOf } from "./session.ts";

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
/** Verified profile cookies kept in process, at most (then the map starts again). */
const VERIFIED_MAX = 10_000;

/**
 * The attributes of the session cookies: HttpOnly, Secure (unless turned
 * off), SameSite=Lax, Path=/.
 *
 * @param options the cookie settings
 * @returns the attributes
 */
export function sessionCookieAttributes(options: SessionCookieOptions = {}): CookieAttributes {
  const domain = options.domain;
  if (domain !== undefined && !/^[A-Za-z0-9.-]+$/.test(domain)) {
    throw new TypeError("Invalid cookie domain");
  }
  return {
    httpOnly: true,
    secure: options.secure ?? true,
    sameSite: "Lax",
    path: "/",
    maxAge: options.maxAgeSeconds ?? DEFAULT_MAX_AGE,
    ...(domain === undefined ? {} : { domain }),
  };
}

/** The signed profile's fields, checked (a hand parser: this runs per new cookie value). */
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
  // A cookie of before the time field: roles of unknown age, read again.
  const readAt = typeof t === "number" && Number.isFinite(t) ? t : 0;
  return { ...sessionOf(v as unknown as Session), readAt };
}

// The signature covers the access token too: a profile cookie is good only
// next to the access token it was issued with.
function signed(payload: string, access: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${payload}\n${access}`);
}

/** The tokens of a request's session cookies. */
export interface SessionTokens {
  /** The access token, if any. */
  access: string | undefined;
  /** The refresh token, if any. */
  refresh: string | undefined;
}

/** The session cookies of one site, as text (see the module's note). */
export class SessionCookieCodec {
  // Synchronous: Web Crypto costs tens of microseconds a call on some
  // runtimes, and every request with a session checks this signature.
  #mac: HmacSha256 | undefined;
  #verified = new Map<string, { raw: string; user: CurrentUser }>();
  #prefix: string;
  // The cookies' names, built once (read on every request).
  #access: string;
  #refresh: string;
  #profile: string;
  #attributes: CookieAttributes;

  /**
   * Create the cookies of one site.
   *
   * @param secret the key that signs profile cookies (the `sessionSecret`);
   *   without it no profile cookie is read or written
   * @param options the cookie settings
   */
  constructor(secret: string | undefined, options: SessionCookieOptions = {}) {
    this.#mac = secret === undefined
      ? undefined
      : labelledKey(secret, "authlite-gateway-profile-v1");
    this.#prefix = options.prefix ?? "authlite_";
    this.#access = `${this.#prefix}access`;
    this.#refresh = `${this.#prefix}refresh`;
    this.#profile = `${this.#prefix}profile`;
    if (!/^[A-Za-z0-9_-]*$/.test(this.#prefix)) throw new TypeError("Invalid cookie prefix");
    this.#attributes = sessionCookieAttributes(options);
  }

  /** The prefix of the cookie names. */
  get prefix(): string {
    return this.#prefix;
  }

  /** The attributes of the session cookies. */
  get attributes(): CookieAttributes {
    return this.#attributes;
  }

  /**
   * The tokens of the request's session cookies.
   *
   * @param jar the request's cookies
   * @returns the tokens found (either may be missing)
   */
  tokens(jar: Readonly<Record<string, string>>): SessionTokens {
    return {
      access: jar[this.#access] || undefined,
      refresh: jar[this.#refresh] || undefined,
    };
  }

  /**
   * The cookies of a new or rotated session.
   *
   * @param jar the request's cookies
   * @param access the access token
   * @param refresh the refresh token, if any
   * @param profile the user to sign and bind to the access token, its roles
   *   taken as read now unless it says when (`readAt`); `null`: none (a
   *   profile cookie of another access token is removed)
   * @returns the `Set-Cookie` lines
   */
  set(
    jar: Readonly<Record<string, string>>,
    access: string,
    refresh: string | null,
    profile: Session | CurrentUser | null,
  ): string[] {
    const lines = [serializeCookie(`${this.#prefix}access`, access, this.#attributes)];
    if (refresh !== null) {
      lines.push(serializeCookie(`${this.#prefix}refresh`, refresh, this.#attributes));
    }
    if (this.#mac === undefined || profile === null) {
      // A profile cookie bound to the old access token is of no use any more.
      if (jar[this.#profile] !== undefined) lines.push(this.#delete("profile"));
      return lines;
    }
    const readAt = "readAt" in profile ? profile.readAt : Date.now();
    lines.push(
      serializeCookie(
        `${this.#prefix}profile`,
        this.#sign(profile, readAt, access),
        this.#attributes,
      ),
    );
    return lines;
  }

  /**
   * The lines that clear every session cookie.
   *
   * @returns the `Set-Cookie` lines
   */
  clear(): string[] {
    return ["access", "refresh", "profile"].map((name) => this.#delete(name));
  }

  /**
   * The user of the request's profile cookie, if it is signed with this
   * secret and bound to `access`.
   *
   * @param jar the request's cookies
   * @param access the access token of the session
   * @returns the user with the time their roles were read, or `undefined`
   */
  profile(jar: Readonly<Record<string, string>>, access: string): CurrentUser | undefined {
    if (this.#mac === undefined) return undefined;
    const raw = jar[this.#profile];
    if (raw === undefined) return undefined;
    // A cookie is verified once per distinct value next to its access token;
    // the result is kept in process (the process holds both anyway), frozen.
    // Keyed by the access token, whose hash the token cache has computed on
    // this same string already (a key of the ~1.5 KB cookie was hashed anew
    // on every request), the cookie it was verified with beside it.
    const seen = this.#verified.get(access);
    if (seen !== undefined && seen.raw === raw) return seen.user;
    const user = this.#verify(raw, access);
    if (user === undefined) return undefined;
    if (this.#verified.size >= VERIFIED_MAX) this.#verified.clear();
    const frozen = Object.freeze({ ...user, roles: Object.freeze([...user.roles]) });
    this.#verified.set(access, { raw, user: frozen as CurrentUser });
    return frozen as CurrentUser;
  }

  #verify(raw: string, access: string): CurrentUser | undefined {
    const mac = this.#mac as HmacSha256;
    const [payload, signature, extra] = raw.split(".");
    if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
    const sig = decodeBase64url(signature);
    const body = decodeBase64url(payload);
    if (sig === undefined || body === undefined) return undefined;
    if (!timingSafeEqual(mac.sign(signed(payload, access)), sig)) return undefined;
    try {
      return readProfile(JSON.parse(decoder.decode(body)));
    } catch {
      return undefined;
    }
  }

  #delete(name: string): string {
    const { maxAge: _maxAge, ...attributes } = this.#attributes;
    return clearCookie(`${this.#prefix}${name}`, attributes);
  }

  #sign(profile: Session, readAt: number, access: string): string {
    const { uid, email, name, img, roles } = profile;
    const json = JSON.stringify({ uid, email, name, img, roles, t: readAt });
    const payload = encodeBase64url(encoder.encode(json));
    const mac = this.#mac as HmacSha256;
    return `${payload}.${encodeBase64url(mac.sign(signed(payload, access)))}`;
  }
}
