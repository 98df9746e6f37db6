/**
 * The start of a browser login, bound to the browser that started it: where
 * a login may start (Fetch Metadata), the short-lived login cookie (a random
 * nonce, the path to return to, a MAC) that the callback consumes once, the
 * same-origin checks of the routes that change the session, and the checks of
 * every header value built from input.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import type { HmacSha256 } from "../_hmac.ts";
import { labelledKey } from "../_kdf.ts";
import { decodeBase64url, encodeBase64url } from "../_base64url.ts";
import { timingSafeEqual } from "../_compare.ts";

const encoder = new TextEncoder();
const LOGIN_TTL_SECONDS = 600;
const MAX_RETURN_PATH = 2048;
const MAX_USED_NONCES = 10_000;

// RFC 3986 characters that may stand as they are in a path, query or fragment.
const PLAIN = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]$/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;

/**
 * A path of this site, or `/` when the value could lead elsewhere (an absolute
 * URL, a protocol-relative `//host`, a backslash, a control character that a
 * browser would strip). Every character outside RFC 3986's path, query and
 * fragment set is percent-encoded (UTF-8), so that the result is printable
 * ASCII and safe in a `Location` header on every runtime.
 *
 * @param value what the caller asked for
 * @returns a safe local path
 */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== "string" || value === "" || value.length > MAX_RETURN_PATH) return "/";
  if (!value.startsWith("/") || value.startsWith("//")) return "/";
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || ch === "\\") return "/";
    if (PLAIN.test(ch)) {
      out += ch;
    } else if (ch === "%") {
      out += HEX2.test(value.slice(i + 1, i + 3)) ? "%" : "%25";
    } else {
      // A surrogate pair is encoded as one code point; a lone surrogate is refused.
      const pair = code >= 0xd800 && code <= 0xdbff ? value.slice(i, i + 2) : ch;
      try {
        out += encodeURIComponent(pair);
      } catch {
        return "/";
      }
      i += pair.length - 1;
    }
  }
  return out.length > MAX_RETURN_PATH ? "/" : out;
}

/**
 * Whether `value` may be sent as a header value as it is: printable ASCII
 * (and spaces) only. What a runtime accepts beyond that differs (Deno's
 * writer refused DEL with a panic), so nothing else is ever set.
 *
 * @param value a header value built from input
 * @returns `true` when it is safe
 */
export function isSafeHeaderValue(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

/**
 * Redirect to `location`, checked first: a value that is not safe in a
 * header (see {@linkcode isSafeHeaderValue}) sends the browser to `fallback`.
 *
 * @param c the context
 * @param location where to
 * @param fallback a fixed path of this site
 * @returns the redirect
 */
export function safeRedirect(c: Context, location: string, fallback = "/"): Response {
  return c.redirect(isSafeHeaderValue(location) ? location : fallback, 302);
}

function randomNonce(): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(18)));
}

/** Where a request to start a login comes from, by its Fetch Metadata. */
export type LoginOrigin = "same-origin" | "user" | "cross-site" | "unknown";

/**
 * Classify the request that asks to start a login.
 *
 * `Sec-Fetch-Site: same-origin` (the gateway's page) and `none` (a typed URL,
 * a bookmark) may start it; `same-site` and `cross-site` are another site's
 * doing. A browser without Fetch Metadata sends none of it: then a `Referer`
 * of another origin counts as cross-site, and no `Referer` as unknown.
 *
 * @param c the context
 * @param self the gateway's own origin
 * @returns the classification
 */
export function loginOrigin(c: Context, self: string): LoginOrigin {
  const site = c.req.header("sec-fetch-site");
  if (site === "same-origin") return "same-origin";
  if (site === "none") return "user";
  if (site !== undefined) return "cross-site";
  const referer = c.req.header("referer");
  if (referer === undefined) return "unknown";
  try {
    return new URL(referer).origin === new URL(self).origin ? "same-origin" : "cross-site";
  } catch {
    return "cross-site";
  }
}

/**
 * Whether a POST that starts a login comes from the gateway's own page:
 * `Sec-Fetch-Site: same-origin`, or (without Fetch Metadata) an `Origin` of
 * this gateway.
 *
 * @param c the context
 * @param self the gateway's own origin
 * @returns `true` when it does
 */
export function isSameOriginPost(c: Context, self: string): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site === "same-origin";
  const origin = c.req.header("origin");
  if (origin === undefined) return false;
  try {
    return origin === new URL(self).origin;
  } catch {
    return false;
  }
}

/**
 * Whether a POST that ends the session comes from this site (logout CSRF):
 * with Fetch Metadata, `Sec-Fetch-Site: same-origin` only; else an `Origin`
 * of this site. A request with neither (a script, a server, a browser that
 * sends no `Origin` on a same-origin POST) is taken only as JSON: another site
 * cannot send `Content-Type: application/json` without a CORS preflight,
 * while a body-less or form POST is what any page can send.
 *
 * @param c the context
 * @param self the site's own origin
 * @returns `true` when it does
 */
export function isSameOriginLogout(c: Context, self: string): boolean {
  if (c.req.header("sec-fetch-site") !== undefined || c.req.header("origin") !== undefined) {
    return isSameOriginPost(c, self);
  }
  return mediaType(c.req.header("content-type")) === "application/json";
}

/**
 * The media type of a `Content-Type` header, lower case, without parameters.
 *
 * @param header the header's value, if any
 * @returns the media type, or `""`
 */
export function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Settings of {@linkcode LoginFlow}. */
export interface LoginFlowOptions {
  /** The key of the login cookie's MAC (the gateway's session secret). */
  secret: string;
  /** Prefix of the cookie name (default `authlite_`). */
  prefix?: string;
  /** The attributes of the gateway's cookies. */
  attributes: CookieOptions;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
}

/**
 * The login cookie: `<nonce>.<return path, base64url>.<MAC>`, set when a login
 * starts and consumed once by the callback.
 */
export class LoginFlow {
  #mac: HmacSha256;
  #name: string;
  #attributes: CookieOptions;
  #now: () => number;
  // Nonces consumed in this process, until their cookie would have expired.
  #used = new Map<string, number>();

  /**
   * @param options the key, the cookie name's prefix and attributes
   */
  constructor(options: LoginFlowOptions) {
    this.#mac = labelledKey(options.secret, "authlite-gateway-login-v1");
    this.#name = `${options.prefix ?? "authlite_"}login`;
    this.#attributes = options.attributes;
    this.#now = options.now ?? Date.now;
  }

  /** The name of the login cookie. */
  get cookie(): string {
    return this.#name;
  }

  #sign(nonce: string, issued: string, path: string): string {
    return encodeBase64url(this.#mac.sign(encoder.encode(`${nonce}\n${issued}\n${path}`)));
  }

  /**
   * Set the login cookie: a fresh nonce and the path to return to.
   *
   * @param c the context
   * @param returnTo a path of this site (made safe again here)
   */
  start(c: Context, returnTo: string): void {
    const nonce = randomNonce();
    const issued = Math.floor(this.#now() / 1000).toString(36);
    const path = encodeBase64url(encoder.encode(safeReturnPath(returnTo)));
    const value = `${nonce}.${issued}.${path}.${this.#sign(nonce, issued, path)}`;
    setCookie(c, this.#name, value, { ...this.#attributes, maxAge: LOGIN_TTL_SECONDS });
  }

  /**
   * Take the login cookie, clear it, and consume its nonce.
   *
   * @param c the context
   * @returns the path to return to, or `undefined` when no valid, unused login
   *   was started by this browser
   */
  finish(c: Context): string | undefined {
    const value = getCookie(c, this.#name);
    if (value === undefined) return undefined;
    const { maxAge: _maxAge, ...attributes } = this.#attributes;
    deleteCookie(c, this.#name, attributes);
    const parts = value.split(".");
    if (parts.length !== 4) return undefined;
    const [nonce, issued, path, mac] = parts as [string, string, string, string];
    if (!/^[A-Za-z0-9_-]{24}$/.test(nonce) || !/^[a-z0-9]{1,12}$/.test(issued)) return undefined;
    if (!/^[A-Za-z0-9_-]*$/.test(path)) return undefined;
    const expected = encoder.encode(this.#sign(nonce, issued, path));
    if (!timingSafeEqual(expected, encoder.encode(mac))) return undefined;
    // The cookie's own Max-Age is the browser's promise, not ours: the MAC
    // covers the time of issue, so a copied cookie is refused once it is old.
    const age = this.#now() / 1000 - parseInt(issued, 36);
    if (!(age >= -60 && age <= LOGIN_TTL_SECONDS)) return undefined;
    if (!this.#consume(nonce)) return undefined;
    const bytes = decodeBase64url(path);
    if (bytes === undefined) return undefined;
    let decoded: string;
    try {
      decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
    return safeReturnPath(decoded);
  }

  #consume(nonce: string): boolean {
    const t = this.#now();
    if (this.#used.has(nonce)) return false;
    for (const [n, until] of this.#used) {
      if (until > t && this.#used.size < MAX_USED_NONCES) break;
      this.#used.delete(n);
    }
    this.#used.set(nonce, t + LOGIN_TTL_SECONDS * 1000);
    return true;
  }
}
