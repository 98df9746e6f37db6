/**
 * Key derivation, keyed hashing and authenticated encryption of the token-set
 * cache, with Web Crypto only (so it runs on Workers, Deno, Bun and Node).
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

import { decodeBase64url, encodeBase64url } from "../_base64url.ts";
import { HmacSha256 } from "../_hmac.ts";
import { hkdf } from "../_kdf.ts";

/** The keys derived from the organisation's secret. */
export interface CacheKeys {
  /** HMAC-SHA-256 for store keys (synchronous: it is on every lookup). */
  mac: HmacSha256;
  /** AES-256-GCM key for store values. */
  aead: CryptoKey;
}

const SALT = "authlite token-set cache v1";

/** Derive the HMAC key and the AES-GCM key from `secret` with HKDF-SHA-256. */
export async function deriveKeys(secret: string): Promise<CacheKeys> {
  const mac = new HmacSha256(hkdf(secret, "key names", SALT));
  const aead = await crypto.subtle.importKey(
    "raw",
    hkdf(secret, "values", SALT),
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  return { mac, aead };
}

/** The keyed hash of `text` (base64url of HMAC-SHA-256). */
export function mac(key: HmacSha256, text: string): string {
  return encodeBase64url(key.sign(text));
}

const VERSION = "v1";

/**
 * Encrypt `plaintext` with AES-GCM under a fresh random 96-bit IV, binding
 * `aad` (the store key) so the value cannot be moved to another key.
 * Output: `v1.<iv>.<ciphertext+tag>` in base64url.
 */
export async function seal(key: CryptoKey, plaintext: string, aad: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(aad) },
    key,
    encoder.encode(plaintext),
  );
  return `${VERSION}.${encodeBase64url(iv)}.${encodeBase64url(new Uint8Array(ct))}`;
}

/**
 * Decrypt and authenticate a value made by {@linkcode seal}. `null` when it
 * is malformed, tampered with, moved from another key or sealed with another
 * secret.
 */
export async function open(key: CryptoKey, sealed: string, aad: string): Promise<string | null> {
  const parts = sealed.split(".");
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const iv = decodeBase64url(parts[1] ?? "");
  const ct = decodeBase64url(parts[2] ?? "");
  if (iv === undefined || ct === undefined || iv.length !== 12 || ct.length < 16) return null;
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(aad) },
      key,
      ct,
    );
    return decoder.decode(pt);
  } catch {
    return null;
  }
}

/**
 * The `exp` claim of a JWT in milliseconds, read without verifying it (the
 * upstream verifies); `null` when the token is not a JWT or has no numeric `exp`.
 */
export function jwtExpiryMs(token: string): number | null {
  return jwtClaims(token).exp;
}

/**
 * The `exp` (in ms) and `sub` claims of a JWT, read without verification:
 * only for a token the upstream has validated (or to key a revocation the
 * upstream confirmed). `null` where absent or not a JWT.
 */
export function jwtClaims(token: string): { exp: number | null; sub: string | null } {
  const none = { exp: null, sub: null };
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (second < 0 || token.indexOf(".", second + 1) >= 0) return none;
  const payload = decodeBase64url(token.slice(first + 1, second));
  if (payload === undefined) return none;
  try {
    const claims: unknown = JSON.parse(decoder.decode(payload));
    if (typeof claims !== "object" || claims === null) return none;
    const { exp, sub } = claims as { exp?: unknown; sub?: unknown };
    return {
      exp: typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : null,
      sub: typeof sub === "string" && sub !== "" ? sub : null,
    };
  } catch {
    return none;
  }
}
