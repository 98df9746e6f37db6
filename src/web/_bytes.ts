/**
 * Bytes as text, and compared in constant time: base64url both ways, and a
 * comparison whose time depends only on the lengths.
 *
 * @module
 */

/**
 * Base64url without padding.
 *
 * @param bytes the bytes
 * @returns the text
 */
export function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The bytes of base64url text (padding optional).
 *
 * @param text the text
 * @returns the bytes, or `undefined` when it is not base64url
 */
export function unb64url(text: string): Uint8Array<ArrayBuffer> | undefined {
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

/**
 * Compare two byte strings in time that depends only on their lengths.
 *
 * @param a one
 * @param b the other
 * @returns whether they are equal
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
