/**
 * The `signed_key` every API call carries: a compact HS256 JWS over
 * `{"api_key": "<api_key>"}`, keyed with the UTF-8 bytes of the secret key.
 *
 * @module
 */
import { SignJWT } from "jose";

/**
 * Compute the `signed_key` of an organisation. It is deterministic, so a
 * client computes it once.
 *
 * @param apiKey the organisation's API key
 * @param secretKey the organisation's secret key
 * @returns the compact JWS `header.payload.signature`
 *
 * @example
 * ```ts
 * import { signApiKey } from "@authlite/authlite";
 * const signedKey = await signApiKey("key_test_1", "s3cr3t-key-for-tests-0123456789abcdef");
 * console.assert(signedKey.startsWith("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
 * ```
 */
export function signApiKey(apiKey: string, secretKey: string): Promise<string> {
  return new SignJWT({ api_key: apiKey })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secretKey));
}

/**
 * A `signed_key` computed on first use and kept: the constructor of the client
 * stays synchronous and does no work.
 */
export class LazySignedKey {
  #apiKey: string;
  #secretKey: string;
  #value: Promise<string> | undefined;
  #known: string | undefined;

  /**
   * Remember the credentials; sign nothing yet.
   *
   * @param apiKey the organisation's API key
   * @param secretKey the organisation's secret key
   */
  constructor(apiKey: string, secretKey: string) {
    this.#apiKey = apiKey;
    this.#secretKey = secretKey;
  }

  /**
   * The signed key, computed on the first call.
   *
   * @returns the compact JWS
   */
  get(): Promise<string> {
    if (this.#value === undefined) {
      const value = signApiKey(this.#apiKey, this.#secretKey);
      this.#value = value;
      value.then((known) => {
        this.#known = known;
      }, () => {
        if (this.#value === value) this.#value = undefined;
      });
    }
    return this.#value;
  }

  /**
   * The signed key if it has been computed already (to scrub it from errors).
   *
   * @returns the compact JWS, or `undefined`
   */
  peek(): string | undefined {
    return this.#known;
  }
}
