/**
 * Verify the signed replies of the upstream: compact JWS, HS256 only, keyed
 * with the organisation's secret key.
 *
 * @module
 */
import { errors, jwtVerify } from "jose";
import { AuthLiteReplyError } from "../errors.ts";
import type { Claims } from "./types.ts";

/** Options of {@linkcode verifySignedReply}. */
export interface VerifySignedReplyOptions {
  /** The endpoint path, for errors. */
  endpoint: string;
  /** Clock tolerance for `exp` and `nbf`, in seconds. */
  clockToleranceSeconds: number;
  /** Clock in milliseconds since the epoch. */
  now: () => number;
}

/**
 * Verify a signed reply and return its claims.
 *
 * @param token the compact JWS the upstream sent
 * @param secretKey the UTF-8 bytes of the organisation's secret key
 * @param options the endpoint (for errors), the clock and its tolerance
 * @returns the verified claims
 * @throws {AuthLiteReplyError} `ERR_BAD_SIGNATURE` when the token is
 *   malformed, not HS256 (`alg: none` included) or its signature does not
 *   verify; `ERR_BAD_REPLY` when it verifies but has expired or is not yet valid
 *
 * @example
 * ```ts
 * import { SignJWT } from "jose";
 * import { verifySignedReply } from "@authlite/authlite";
 * const key = new TextEncoder().encode("demo-secret");
 * const token = await new SignJWT({ uid: "u1" }).setProtectedHeader({ alg: "HS256" }).sign(key);
 * const claims = await verifySignedReply(token, key, {
 *   endpoint: "/api/user/me/data",
 *   clockToleranceSeconds: 30,
 *   now: Date.now,
 * });
 * console.assert(claims.uid === "u1");
 * ```
 */
export async function verifySignedReply(
  token: string,
  secretKey: Uint8Array,
  options: VerifySignedReplyOptions,
): Promise<Claims> {
  try {
    const { payload } = await jwtVerify(token, secretKey, {
      algorithms: ["HS256"],
      clockTolerance: options.clockToleranceSeconds,
      currentDate: new Date(options.now()),
    });
    return payload;
  } catch (err) {
    // jose's claim errors carry the whole payload (tokens included): keep only code and message.
    const cause = safeCause(err);
    if (err instanceof errors.JWTExpired) {
      throw new AuthLiteReplyError("ERR_BAD_REPLY", options.endpoint, "Signed reply has expired", {
        cause,
      });
    }
    if (err instanceof errors.JWTClaimValidationFailed) {
      throw new AuthLiteReplyError(
        "ERR_BAD_REPLY",
        options.endpoint,
        "Signed reply has invalid claims",
        { cause },
      );
    }
    throw new AuthLiteReplyError(
      "ERR_BAD_SIGNATURE",
      options.endpoint,
      "Signed reply does not verify",
      { cause },
    );
  }
}

function safeCause(err: unknown): Error {
  const code = err instanceof errors.JOSEError ? err.code : "ERR_UNKNOWN";
  const message = err instanceof errors.JOSEError ? err.message : "Verification failed";
  const cause = new Error(`${code}: ${message}`);
  cause.name = "SignatureCheckFailure";
  cause.stack = `${cause.name}: ${cause.message}`;
  return cause;
}
