/**
 * HS256 compact JWS for the emulator, synchronous (the in-process seeding API
 * of the emulator is synchronous, and Web Crypto is not). A small SHA-256 and
 * HMAC in plain TypeScript; the tests check it against `jose` and Web Crypto.
 * The emulator shares no code with the client on purpose: it is the fake
 * upstream, the other side of the wire, and a client tested against a copy of
 * its own primitives would be tested against itself. So its SHA-256, HMAC,
 * base64url and constant-time compare are its own, not the bottom layer's
 * (`src/_*.ts`); `tests/layering.test.ts` allows these copies here only.
 *
 * @module
 */

const K = Uint32Array.from([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/**
 * SHA-256 of `data`.
 *
 * @param data the bytes to hash
 * @returns the 32-byte digest
 */
export function sha256(data: Uint8Array): Uint8Array {
  const len = data.length;
  const padded = new Uint8Array(((len + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[len] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(len / 0x20000000));
  view.setUint32(padded.length - 4, (len << 3) >>> 0);
  const h = Uint32Array.from([
    0x6a09e667,
    0xbb67ae85,
    0x3c6ef372,
    0xa54ff53a,
    0x510e527f,
    0x9b05688c,
    0x1f83d9ab,
    0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const w15 = w[i - 15]!;
      const w2 = w[i - 2]!;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!;
    let e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! +
        w[i]!) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = h[0]! + a;
    h[1] = h[1]! + b;
    h[2] = h[2]! + c;
    h[3] = h[3]! + d;
    h[4] = h[4]! + e;
    h[5] = h[5]! + f;
    h[6] = h[6]! + g;
    h[7] = h[7]! + hh;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, h[i]!);
  return out;
}

const encoder = new TextEncoder();

/**
 * HMAC-SHA-256 of `message` keyed with `key`.
 *
 * @param key the key bytes
 * @param message the message bytes
 * @returns the 32-byte MAC
 */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha256(key) : key);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i]! ^ 0x36;
    outer[i] = block[i]! ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

/**
 * Base64url without padding.
 *
 * @param bytes the bytes to encode
 * @returns the encoded text
 */
export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * A random opaque identifier, base64url.
 *
 * @param bytes how many random bytes
 * @returns the identifier
 */
export function randomId(bytes = 18): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * Compare two strings in time independent of where they differ.
 *
 * @param a one string
 * @param b the other
 * @returns whether they are equal
 */
export function safeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ (y[i % (y.length || 1)] ?? 0);
  return diff === 0;
}

/** How a JWS is signed: normally HS256; `none` is the unsecured form the fault injector uses. */
export type JwsAlg = "HS256" | "none";

/**
 * Sign `payload` as a compact JWS with header `{"alg":"HS256","typ":"JWT"}` (byte for byte
 * what the official connectors produce, so a signed key is deterministic).
 *
 * @param payload the claims
 * @param secret the UTF-8 secret
 * @param alg `HS256`, or `none` for an unsecured JWT
 * @returns the compact JWS
 */
export function signJwt(
  payload: Record<string, unknown>,
  secret: string,
  alg: JwsAlg = "HS256",
): string {
  const head = base64url(encoder.encode(JSON.stringify({ alg, typ: "JWT" })));
  const body = base64url(encoder.encode(JSON.stringify(payload)));
  if (alg === "none") return `${head}.${body}.`;
  const sig = hmacSha256(encoder.encode(secret), encoder.encode(`${head}.${body}`));
  return `${head}.${body}.${base64url(sig)}`;
}

/**
 * Verify an HS256 compact JWS and read its claims.
 *
 * @param token the compact JWS
 * @param secret the UTF-8 secret
 * @returns the claims, or `null` when the token is malformed, not HS256 or badly signed
 */
export function verifyJwt(token: string, secret: string): Record<string, unknown> | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [head, body, sig] = parts as [string, string, string];
  const headBytes = fromBase64url(head);
  const bodyBytes = fromBase64url(body);
  if (!headBytes || !bodyBytes || !fromBase64url(sig)) return null;
  const expected = base64url(hmacSha256(encoder.encode(secret), encoder.encode(`${head}.${body}`)));
  if (!safeEqual(sig, expected)) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(headBytes));
    if (header?.alg !== "HS256") return null;
    const claims = JSON.parse(new TextDecoder().decode(bodyBytes));
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return null;
    return claims as Record<string, unknown>;
  } catch {
    return null;
  }
}
