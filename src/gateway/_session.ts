/**
 * Browser sessions: the access and refresh tokens in HttpOnly cookies, and a
 * profile cookie (uid, e-mail, name, picture, roles) signed by the gateway and
 * bound to the access token, so that a good session is answered with no
 * upstream call.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { HmacSha256 } from "../_hmac.ts";
import { timingSafeEqual } from "./_credentials.ts";

/** What the gateway knows of the signed-in user. */
export interface Profile {
  /** The user id. */
  uid: string;
  /** The e-mail address. */
  email: string;
  /** The display name, if known. */
  name: string | null;
  /** The picture URL, if known. */
  img: string | null;
  /** The ids of the user's roles when the session was issued. */
  roles: string[];
}

/** Cookie settings of {@linkcode Sessions}. */
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

function isProfile(value: unknown): value is Profile {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const nullableString = (x: unknown) => x === null || typeof x === "string";
  return typeof v["uid"] === "string" && typeof v["email"] === "string" &&
    nullableString(v["name"]) && nullableString(v["img"]) &&
    Array.isArray(v["roles"]) && v["roles"].every((r) => typeof r === "string");
}

// The signature covers the access token too: a profile cookie is good only
// next to the access token it was issued with.
function signed(payload: string, access: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${payload}\n${access}`);
}

/** The session cookies of one gateway. */
export class Sessions {
  // Synchronous: Web Crypto costs tens of microseconds a call on some
  // runtimes, and /auth/me checks this signature on every request.
  #mac: HmacSha256;
  #prefix: string;
  #attributes: CookieOptions;

  /**
   * @param secret the key that signs profile cookies (at least 32 characters)
   * @param options the cookie settings
   */
  constructor(secret: string, options: SessionCookieOptions = {}) {
    this.#mac = new HmacSha256(encoder.encode(`authlite-gateway-profile-v1:${secret}`));
    this.#prefix = options.prefix ?? "authlite_";
    this.#attributes = {
      httpOnly: true,
      secure: options.secure ?? true,
      sameSite: "Lax",
      path: "/",
      maxAge: options.maxAgeSeconds ?? DEFAULT_MAX_AGE,
      ...(options.domain === undefined ? {} : { domain: options.domain }),
    };
  }

  /**
   * The tokens of the request's session cookies.
   *
   * @param c the context
   * @returns the tokens found (either may be missing)
   */
  tokens(c: Context): { access: string | undefined; refresh: string | undefined } {
    return {
      access: getCookie(c, `${this.#prefix}access`) || undefined,
      refresh: getCookie(c, `${this.#prefix}refresh`) || undefined,
    };
  }

  /**
   * Set the session cookies of a new or rotated session.
   *
   * @param c the context
   * @param access the access token
   * @param refresh the refresh token, if any
   * @param profile the profile to sign and bind to the access token
   */
  set(c: Context, access: string, refresh: string | null, profile: Profile): void {
    setCookie(c, `${this.#prefix}access`, access, this.#attributes);
    if (refresh !== null) setCookie(c, `${this.#prefix}refresh`, refresh, this.#attributes);
    setCookie(c, `${this.#prefix}profile`, this.#sign(profile, access), this.#attributes);
  }

  /**
   * Clear every session cookie.
   *
   * @param c the context
   */
  clear(c: Context): void {
    const { maxAge: _maxAge, ...attributes } = this.#attributes;
    for (const name of ["access", "refresh", "profile"]) {
      deleteCookie(c, `${this.#prefix}${name}`, attributes);
    }
  }

  /**
   * The profile of the request's profile cookie, if it is signed by this
   * gateway and bound to `access`.
   *
   * @param c the context
   * @param access the access token of the session
   * @returns the profile, or `undefined`
   */
  profile(c: Context, access: string): Profile | undefined {
    const raw = getCookie(c, `${this.#prefix}profile`);
    if (raw === undefined) return undefined;
    const [payload, signature, extra] = raw.split(".");
    if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
    const sig = unb64url(signature);
    const body = unb64url(payload);
    if (sig === undefined || body === undefined) return undefined;
    if (!timingSafeEqual(this.#mac.sign(signed(payload, access)), sig)) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(body));
    } catch {
      return undefined;
    }
    if (!isProfile(value)) return undefined;
    return {
      uid: value.uid,
      email: value.email,
      name: value.name,
      img: value.img,
      roles: value.roles,
    };
  }

  #sign(profile: Profile, access: string): string {
    const payload = b64url(encoder.encode(JSON.stringify(profile)));
    return `${payload}.${b64url(this.#mac.sign(signed(payload, access)))}`;
  }
}
