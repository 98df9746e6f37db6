/**
 * Comparison in constant time: a secret (a MAC, a credential) is compared with
 * what was presented over the secret's whole length, without an early exit,
 * so the time depends neither on where the first difference is nor on what
 * was presented. Synchronous on purpose: Web Crypto calls cost tens of
 * microseconds on some runtimes, per request.
 *
 * @module
 */

/**
 * Compare a secret with a candidate in time that depends only on the
 * secret's length.
 *
 * @param secret the accepted value (the expected MAC, the configured credential)
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
 * {@linkcode timingSafeEqual} over the UTF-16 code units of two strings (no
 * encoding per call).
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
