/**
 * Credential checks in constant time: the presented credential is compared
 * with each accepted one byte by byte, over the accepted credential's whole
 * length and without an early exit, so the time depends neither on where the
 * first difference is nor on what was presented. (Synchronous on purpose:
 * WebCrypto calls cost tens of microseconds on some runtimes, per request.)
 *
 * @module
 */

const encoder = new TextEncoder();

/** Checks a presented credential against a set of accepted ones. */
export class CredentialSet {
  #accepted: Uint8Array[];

  /** @param accepted the accepted credentials (several during a rotation) */
  constructor(accepted: readonly string[]) {
    this.#accepted = accepted.map((a) => encoder.encode(a));
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
    const candidate = encoder.encode(presented);
    let found = false;
    for (const accepted of this.#accepted) found = timingSafeEqual(accepted, candidate) || found;
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
 * The credential of an `Authorization: Bearer <credential>` header.
 *
 * @param header the header's value, if any
 * @returns the credential, or `undefined` when the header is absent or of another scheme
 */
export function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}
