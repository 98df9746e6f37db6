/**
 * A synchronous HMAC-SHA-256 for hot paths (token-set cache keys, the
 * gateway's profile cookie): one Web Crypto call costs tens of microseconds on
 * some runtimes (an async round-trip per call), more than hashing a token
 * takes in plain code. The
 * key's inner and outer states are computed once; each MAC then hashes the
 * message and one more block. Its output equals Web Crypto's (tested).
 *
 * @module
 */

const K = new Uint32Array([
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
const IV = [
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
];

const W = new Uint32Array(64);

/** Compress the 64-byte blocks of `data` from `offset` into `state`. */
function compress(state: Uint32Array, data: Uint8Array, offset: number, end: number): void {
  let h0 = state[0]!, h1 = state[1]!, h2 = state[2]!, h3 = state[3]!;
  let h4 = state[4]!, h5 = state[5]!, h6 = state[6]!, h7 = state[7]!;
  for (let p = offset; p < end; p += 64) {
    for (let i = 0; i < 16; i++) {
      const j = p + i * 4;
      W[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15]!, b = W[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  state[0] = h0;
  state[1] = h1;
  state[2] = h2;
  state[3] = h3;
  state[4] = h4;
  state[5] = h5;
  state[6] = h6;
  state[7] = h7;
}

/** Finish a hash begun in `state` after `prefixBytes` bytes, over `message`. */
function finish(state: Uint32Array, prefixBytes: number, message: Uint8Array): Uint8Array {
  const s = state.slice();
  const full = message.length - (message.length % 64);
  compress(s, message, 0, full);
  const rest = message.length - full;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(message.subarray(full));
  tail[rest] = 0x80;
  const bits = (prefixBytes + message.length) * 8;
  const hi = Math.floor(bits / 0x100000000);
  const n = tail.length;
  tail[n - 8] = hi >>> 24;
  tail[n - 7] = hi >>> 16;
  tail[n - 6] = hi >>> 8;
  tail[n - 5] = hi;
  tail[n - 4] = bits >>> 24;
  tail[n - 3] = bits >>> 16;
  tail[n - 2] = bits >>> 8;
  tail[n - 1] = bits;
  compress(s, tail, 0, n);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const word = s[i]!;
    out[i * 4] = word >>> 24;
    out[i * 4 + 1] = word >>> 16;
    out[i * 4 + 2] = word >>> 8;
    out[i * 4 + 3] = word;
  }
  return out;
}

const encoder = new TextEncoder();

/**
 * Lower-case hex of `bytes`.
 *
 * @param bytes the bytes
 * @returns two hex digits a byte
 */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** HMAC-SHA-256 under one key, with the key's pads hashed once. */
export class HmacSha256 {
  #inner: Uint32Array;
  #outer: Uint32Array;

  /** @param key the raw key (at most 64 bytes; longer keys are hashed first, as HMAC says) */
  constructor(key: Uint8Array) {
    const block = new Uint8Array(64);
    block.set(key.length > 64 ? finish(new Uint32Array(IV), 0, key) : key);
    const ipad = block.map((b) => b ^ 0x36);
    const opad = block.map((b) => b ^ 0x5c);
    this.#inner = new Uint32Array(IV);
    compress(this.#inner, ipad, 0, 64);
    this.#outer = new Uint32Array(IV);
    compress(this.#outer, opad, 0, 64);
  }

  /**
   * @param message the text (UTF-8) or bytes to authenticate
   * @returns the 32-byte MAC
   */
  sign(message: string | Uint8Array): Uint8Array {
    const bytes = typeof message === "string" ? encoder.encode(message) : message;
    return finish(this.#outer, 64, finish(this.#inner, 64, bytes));
  }
}
