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

/** Whether a UTF-16 code unit is a space or a tab (what the parser trims). */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
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
 * By index, without a regular expression per trim or a copy per pair: a
 * session sends three cookies of ~1.5 KB on every request.
 *
 * @param header the header's value, if any
 * @returns name → value (no prototype)
 */
export function parseCookies(header: string | null | undefined): Record<string, string> {
  const jar: Record<string, string> = Object.create(null);
  if (!header) return jar;
  const length = header.length;
  // The next "=" at or after `start`, looked for again only once passed: each
  // pair's own search would read the rest of the header (quadratic over a
  // header of pairs without one).
  let at = -1;
  for (let start = 0, end = 0; start <= length; start = end + 1) {
    end = header.indexOf(";", start);
    if (end === -1) end = length;
    if (at < start) {
      at = header.indexOf("=", start);
      if (at === -1) break; // no pair after this one has a value
    }
    if (at > end) continue;
    // The name: [start, at) without its blanks.
    let from = start;
    let to = at;
    while (from < to && isBlank(header.charCodeAt(from))) from++;
    while (to > from && isBlank(header.charCodeAt(to - 1))) to--;
    const name = header.slice(from, to);
    if (!NAME.test(name) || name in jar) continue;
    // The value: (at, end) without its blanks, then its quotes.
    from = at + 1;
    to = end;
    while (from < to && isBlank(header.charCodeAt(from))) from++;
    while (to > from && isBlank(header.charCodeAt(to - 1))) to--;
    if (to - from >= 2 && header.charCodeAt(from) === 0x22 && header.charCodeAt(to - 1) === 0x22) {
      from++;
      to--;
    }
    const value = header.slice(from, to);
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
