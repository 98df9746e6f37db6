/**
 * Key derivation by purpose: every key the package derives from a secret
 * (the organisation's secret key, the gateway's session secret) is made here,
 * named by the purpose it serves, so no two purposes share a key.
 *
 * - {@linkcode hkdf}: HKDF-SHA-256 (RFC 5869), the scheme for new purposes
 *   (the token-set cache's key names and values).
 * - {@linkcode labelledKey} and {@linkcode labelledSecret}: the v1 schemes of
 *   the role marks, the gateway's cookies and its session secret, kept byte for
 *   byte: moving them to HKDF would, on upgrade, invalidate every profile and
 *   session cookie (every user signed out) and lose the role marks held in
 *   the store (demotions forgotten for up to the role TTL).
 *
 * Synchronous (on {@linkcode HmacSha256}): no Web Crypto round trip; the
 * output equals Web Crypto's (tested).
 *
 * @module
 */
import { HmacSha256, toHex } from "./_hmac.ts";

const encoder = new TextEncoder();

/**
 * HKDF-SHA-256 of `secret`, 32 bytes, for `purpose` (HKDF's `info`).
 *
 * @param secret the input key material (UTF-8)
 * @param purpose what the key is for
 * @param salt the salt (UTF-8), naming the scheme and its version
 * @returns the 32-byte key
 */
export function hkdf(secret: string, purpose: string, salt: string): Uint8Array<ArrayBuffer> {
  const prk = new HmacSha256(encoder.encode(salt)).sign(encoder.encode(secret));
  const info = encoder.encode(purpose);
  const block = new Uint8Array(info.length + 1);
  block.set(info);
  block[info.length] = 1;
  return new HmacSha256(prk).sign(block) as Uint8Array<ArrayBuffer>;
}

/**
 * The v1 MAC key for `purpose`: HMAC-SHA-256 keyed with `<purpose>:<secret>`.
 *
 * @param secret the secret
 * @param purpose the label, with its version (`authlite-gateway-profile-v1`)
 * @returns the MAC
 */
export function labelledKey(secret: string, purpose: string): HmacSha256 {
  return new HmacSha256(encoder.encode(`${purpose}:${secret}`));
}

/**
 * The v1 derived secret for `purpose`: hex of HMAC-SHA-256(`secret`, `purpose`).
 *
 * @param secret the secret
 * @param purpose the label, with its version (`authlite-gateway-session-secret-v1`)
 * @returns 64 hex digits
 */
export function labelledSecret(secret: string, purpose: string): string {
  return toHex(new HmacSha256(encoder.encode(secret)).sign(purpose));
}
