/**
 * Credential checks in constant time: the presented credential is compared
 * with each accepted one byte by byte, over the accepted credential's whole
 * length and without an early exit, so the time depends neither on where the
 * first difference is nor on what was presented. (Synchronous on purpose:
 * WebCrypto calls cost tens of microseconds on some runtimes, per request.)
 *
 * @module
 */

/** Checks a presented credential against a set of accepted ones. */
export class CredentialSet {
  #accepted: string[];

  /** @param accepted the accepted credentials (several during a rotation) */
  constructor(accepted: readonly string[]) {
    this.#accepted = [...accepted];
  }

  /** Whether no credential is configured (every check fails). */
  get empty(): boolean {
    return this.#accepted.length === 0;
  }

  /**
   * Whether `presented` is one of the accepted credentials.
   *
   * @param presented what the caller sent
   * @returns `true` when it matches one of them
   */
  matches(presented: string): boolean {
    // UTF-16 code units, compared as the bytes are below: no encoding per request.
    let found = false;
    for (const accepted of this.#accepted) {
      found = timingSafeEqualText(accepted, presented) || found;
    }
    return found;
  }
}

/**
 * Compare a secret with a candidate in time that depends only on the
 * secret's length.
 *
 * @param secret the accepted value
 * @param candidate what was presented
 * @returns whether they are equal
 */
export function timingSafeEqual(secret: Uint8Array, candidate: Uint8Array): boolean {
  let diff = secret.length ^ candidate.length;
  const n = candidate.length;
  for (let i = 0; i < secret.length; i++) {
    // `i % n` keeps the read in bounds without branching on the candidate.
    diff |= (secret[i] ?? 0) ^ (n === 0 ? 0 : candidate[i % n] ?? 0);
  }
  return diff === 0;
}

/**
 * {@linkcode timingSafeEqual} over the UTF-16 code units of two strings.
 *
 * @param secret the accepted value
 * @param candidate what was presented
 * @returns whether they are equal
 */
export function timingSafeEqualText(secret: string, candidate: string): boolean {
  let diff = secret.length ^ candidate.length;
  const n = candidate.length;
  for (let i = 0; i < secret.length; i++) {
    diff |= secret.charCodeAt(i) ^ (n === 0 ? 0 : candidate.charCodeAt(i % n));
  }
  return diff === 0;
}

/**
 * The credential of an `Authorization: Bearer <credential>` header.
 *
 * @param header the header's value, if any
 * @returns the credential, or `undefined` when the header is absent or of another scheme
 */
export function bearerOf(header: string | undefined): string | undefined {
  // `Bearer` (any case), spaces or tabs, the credential (no whitespace), spaces
  // or tabs: by hand, since this runs on every RPC request.
  if (header === undefined || header.length < 8) return undefined;
  if (header.slice(0, 6).toLowerCase() !== "bearer") return undefined;
  let start = 6;
  while (start < header.length && isBlank(header.charCodeAt(start))) start++;
  if (start === 6) return undefined;
  let end = header.length;
  while (end > start && isBlank(header.charCodeAt(end - 1))) end--;
  if (end === start) return undefined;
  for (let i = start; i < end; i++) if (isSpace(header.charCodeAt(i))) return undefined;
  return header.slice(start, end);
}

/** A space or a tab. */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** What `\s` matches in a header value: blanks, line breaks, and the Unicode spaces. */
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0 || code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}
