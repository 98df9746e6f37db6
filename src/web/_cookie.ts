/**
 * Cookies as text: the `Cookie` header parsed, a `Set-Cookie` line written.
 * No framework: the session of any Web `Request` is read with these, and the
 * Hono layer appends the lines they give. (Parsing follows Hono's: the first
 * of two cookies of one name wins, a quoted value is unquoted, a value that
 * does not decode as a URI component is taken as it is.)
 *
 * @module
 */

/** The attributes of a cookie the session layer sets. */
export interface CookieAttributes {
  /** `HttpOnly`. */
  httpOnly: boolean;
  /** `Secure`. */
  secure: boolean;
  /** `SameSite`. */
  sameSite: "Lax" | "Strict" | "None";
  /** `Path`. */
  path: string;
  /** `Max-Age` in seconds, if any. */
  maxAge?: number;
  /** `Domain`, if any (default: a host-only cookie). */
  domain?: string;
}

const NAME = /^[!#-:<>-[\]-~]+$/;
const VALUE = /^[ !#-:<-[\]-~]*$/;

function trim(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, "");
}

function decode(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The cookies of a `Cookie` header.
 *
 * @param header the header's value, if any
 * @returns name → value (no prototype)
 */
export function parseCookies(header: string | null | undefined): Record<string, string> {
  const jar: Record<string, string> = Object.create(null);
  if (!header) return jar;
  for (const pair of header.split(";")) {
    const at = pair.indexOf("=");
    if (at === -1) continue;
    const name = trim(pair.slice(0, at));
    if (!NAME.test(name) || name in jar) continue;
    let value = trim(pair.slice(at + 1));
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    if (VALUE.test(value)) jar[name] = decode(value);
  }
  return jar;
}

/**
 * A `Set-Cookie` line (the value URI-encoded).
 *
 * @param name the cookie's name
 * @param value its value
 * @param attributes its attributes
 * @returns the header's value
 */
export function serializeCookie(
  name: string,
  value: string,
  attributes: CookieAttributes,
): string {
  let line = `${name}=${encodeURIComponent(value)}`;
  if (attributes.maxAge !== undefined) line += `; Max-Age=${Math.max(0, attributes.maxAge | 0)}`;
  if (attributes.domain !== undefined) line += `; Domain=${attributes.domain}`;
  line += `; Path=${attributes.path}`;
  if (attributes.httpOnly) line += "; HttpOnly";
  if (attributes.secure) line += "; Secure";
  line += `; SameSite=${attributes.sameSite}`;
  return line;
}

/**
 * A `Set-Cookie` line that removes a cookie (empty, `Max-Age=0`, the same
 * path and domain).
 *
 * @param name the cookie's name
 * @param attributes the attributes it was set with
 * @returns the header's value
 */
export function clearCookie(name: string, attributes: CookieAttributes): string {
  return serializeCookie(name, "", { ...attributes, maxAge: 0 });
}
