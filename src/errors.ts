/**
 * The one error family of authlite: every failure the client raises is an
 * {@linkcode AuthLiteError} with a stable {@linkcode AuthLiteErrorCode}.
 *
 * @module
 */

/** The stable codes of {@linkcode AuthLiteError}; switch on `err.code`. */
export type AuthLiteErrorCode =
  | "ERR_HTTP"
  | "ERR_NETWORK"
  | "ERR_TIMEOUT"
  | "ERR_BAD_REPLY"
  | "ERR_BAD_SIGNATURE"
  | "ERR_BAD_INPUT"
  | "ERR_CONFIG"
  | "ERR_INVALID_TOKEN_SET"
  | "ERR_CREDENTIALS"
  | "ERR_UNAVAILABLE";

/** Options shared by the constructors of every {@linkcode AuthLiteError}. */
export interface AuthLiteErrorOptions {
  /** The underlying failure, already scrubbed of secrets. */
  cause?: unknown;
}

/** Options of {@linkcode AuthLiteHttpError}. */
export interface AuthLiteHttpErrorOptions extends AuthLiteErrorOptions {
  /** The wait the upstream asked for in its reply's `Retry-After`, in seconds. */
  retryAfterSeconds?: number;
}

/**
 * The base class of every error authlite throws.
 *
 * @example Switch on the code
 * ```ts
 * import { AuthLiteError } from "@authlite/authlite";
 * try {
 *   throw new AuthLiteError("ERR_CONFIG", "Missing option: orgId");
 * } catch (err) {
 *   if (err instanceof AuthLiteError && err.code === "ERR_CONFIG") {
 *     // fix the configuration
 *   }
 * }
 * ```
 */
export class AuthLiteError extends Error {
  /** The stable code of this failure. */
  readonly code: AuthLiteErrorCode;

  /**
   * Create an {@linkcode AuthLiteError}.
   *
   * @param code the stable code
   * @param message a message that holds no secret and no token
   * @param options the cause, if any
   */
  constructor(code: AuthLiteErrorCode, message: string, options?: AuthLiteErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = this.constructor.name;
  }
}

/**
 * The upstream answered with an HTTP status that is a failure.
 *
 * @example
 * ```ts
 * import { AuthLiteHttpError } from "@authlite/authlite";
 * const err = new AuthLiteHttpError(404, "/rbac/role", "Not found");
 * console.assert(err.status === 404);
 * ```
 */
export class AuthLiteHttpError extends AuthLiteError {
  /** The HTTP status of the upstream reply. */
  readonly status: number;
  /** The endpoint path (never its query string). */
  readonly endpoint: string;
  /** A short excerpt of the reply body, with secrets and tokens removed. */
  readonly bodyExcerpt: string;
  /**
   * The wait, in seconds, the upstream asked for in the reply's `Retry-After`
   * (a 429 or a 503), as it asked it; `undefined` when it did not.
   */
  readonly retryAfterSeconds: number | undefined;

  /**
   * Create an {@linkcode AuthLiteHttpError}.
   *
   * @param status the HTTP status
   * @param endpoint the path of the endpoint, without query
   * @param bodyExcerpt a short, scrubbed excerpt of the body
   * @param options the cause, and the reply's `Retry-After` if any
   */
  constructor(
    status: number,
    endpoint: string,
    bodyExcerpt: string,
    options?: AuthLiteHttpErrorOptions,
  ) {
    super(
      "ERR_HTTP",
      `Upstream answered ${status}: ${endpoint}${bodyExcerpt ? `: ${bodyExcerpt}` : ""}`,
      options,
    );
    this.status = status;
    this.endpoint = endpoint;
    this.bodyExcerpt = bodyExcerpt;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/**
 * The upstream could not be reached, or did not answer in time (`code` is
 * `ERR_NETWORK` or `ERR_TIMEOUT`).
 *
 * @example
 * ```ts
 * import { AuthLiteNetworkError } from "@authlite/authlite";
 * const err = new AuthLiteNetworkError("ERR_TIMEOUT", "/rbac/role", "Timed out after 10000 ms");
 * console.assert(err.code === "ERR_TIMEOUT");
 * ```
 */
export class AuthLiteNetworkError extends AuthLiteError {
  /** The endpoint path (never its query string). */
  readonly endpoint: string;

  /**
   * Create an {@linkcode AuthLiteNetworkError}.
   *
   * @param code `ERR_NETWORK` or `ERR_TIMEOUT`
   * @param endpoint the path of the endpoint, without query
   * @param detail what happened, with no secret
   * @param options the cause, if any
   */
  constructor(
    code: "ERR_NETWORK" | "ERR_TIMEOUT",
    endpoint: string,
    detail: string,
    options?: AuthLiteErrorOptions,
  ) {
    super(code, `${detail}: ${endpoint}`, options);
    this.endpoint = endpoint;
  }
}

/**
 * The upstream reply failed validation: wrong shape, malformed JSON, or a
 * signature that does not verify (`code` is `ERR_BAD_REPLY` or
 * `ERR_BAD_SIGNATURE`).
 *
 * @example
 * ```ts
 * import { AuthLiteReplyError } from "@authlite/authlite";
 * const err = new AuthLiteReplyError("ERR_BAD_SIGNATURE", "/api/user/me/data", "Signature does not verify");
 * console.assert(err.code === "ERR_BAD_SIGNATURE");
 * ```
 */
export class AuthLiteReplyError extends AuthLiteError {
  /** The endpoint path (never its query string). */
  readonly endpoint: string;

  /**
   * Create an {@linkcode AuthLiteReplyError}.
   *
   * @param code `ERR_BAD_REPLY` or `ERR_BAD_SIGNATURE`
   * @param endpoint the path of the endpoint, without query
   * @param detail what was wrong, with no secret or token
   * @param options the cause, if any
   */
  constructor(
    code: "ERR_BAD_REPLY" | "ERR_BAD_SIGNATURE",
    endpoint: string,
    detail: string,
    options?: AuthLiteErrorOptions,
  ) {
    super(code, `${detail}: ${endpoint}`, options);
    this.endpoint = endpoint;
  }
}

/**
 * Bad input or configuration, raised before any request (`code` is
 * `ERR_BAD_INPUT` or `ERR_CONFIG`).
 *
 * @example
 * ```ts
 * import { AuthLiteInputError } from "@authlite/authlite";
 * const err = new AuthLiteInputError("ERR_BAD_INPUT", "Missing argument: uid");
 * console.assert(err.code === "ERR_BAD_INPUT");
 * ```
 */
export class AuthLiteInputError extends AuthLiteError {
  /**
   * Create an {@linkcode AuthLiteInputError}.
   *
   * @param code `ERR_BAD_INPUT` or `ERR_CONFIG`
   * @param message what is wrong, with no secret
   * @param options the cause, if any
   */
  constructor(
    code: "ERR_BAD_INPUT" | "ERR_CONFIG",
    message: string,
    options?: AuthLiteErrorOptions,
  ) {
    super(code, message, options);
  }
}

/**
 * The token set is invalid: the access token is not valid and there is no
 * refresh token, or the refresh failed. The user must log in again.
 *
 * @example
 * ```ts
 * import { AuthLiteTokenSetError } from "@authlite/authlite";
 * const err = new AuthLiteTokenSetError("Access token invalid and no refresh token: log in again");
 * console.assert(err.code === "ERR_INVALID_TOKEN_SET");
 * ```
 */
export class AuthLiteTokenSetError extends AuthLiteError {
  /**
   * Create an {@linkcode AuthLiteTokenSetError}.
   *
   * @param message why, with no token
   * @param options the cause, if any
   */
  constructor(message: string, options?: AuthLiteErrorOptions) {
    super("ERR_INVALID_TOKEN_SET", message, options);
  }
}

/** Which of the organisation's own values TrustAuthX rejected, where its reply says so. */
export type CredentialName = "apiKey" | "secretKey" | "orgId" | "unknown";

/**
 * TrustAuthX rejected the organisation's own credentials (`code` is
 * `ERR_CREDENTIALS`): a deployment fault, never a user's. It is never
 * answered as `false` and never as "log in again".
 *
 * @example
 * ```ts
 * import { AuthLiteCredentialsError } from "@authlite/authlite";
 * const err = new AuthLiteCredentialsError("secretKey", "/api/user/me/data");
 * console.assert(err.code === "ERR_CREDENTIALS" && err.credential === "secretKey");
 * ```
 */
export class AuthLiteCredentialsError extends AuthLiteError {
  /** The value to fix, where the reply names it. */
  readonly credential: CredentialName;
  /** The endpoint path (never its query string). */
  readonly endpoint: string;

  /**
   * Create an {@linkcode AuthLiteCredentialsError}.
   *
   * @param credential which value was rejected, or `unknown`
   * @param endpoint the path of the endpoint, without query
   * @param options the cause, if any
   */
  constructor(credential: CredentialName, endpoint: string, options?: AuthLiteErrorOptions) {
    super(
      "ERR_CREDENTIALS",
      `TrustAuthX rejected the organisation's credentials${
        credential === "unknown" ? "" : ` (check ${credential})`
      }: ${endpoint}`,
      options,
    );
    this.credential = credential;
    this.endpoint = endpoint;
  }
}

/** The longest `retryAfterSeconds` of an {@linkcode AuthLiteUnavailableError}, in seconds. */
const MAX_RETRY_AFTER_SECONDS = 300;

/** The wait given when the upstream asked for none, in seconds. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * A wait to hand on to our callers, in whole seconds: rounded up, at least 1,
 * at most 300 (an upstream's throttle of the organisation's key is not a
 * day-long ban of our callers).
 *
 * @param seconds the wait asked for
 * @returns the wait to give
 */
export function boundedRetryAfter(seconds: number): number {
  const whole = Math.ceil(seconds);
  return whole >= 1 ? Math.min(whole, MAX_RETRY_AFTER_SECONDS) : 1;
}

/**
 * The answer cannot be decided now (`code` is `ERR_UNAVAILABLE`): the
 * upstream throttles (429) or is down, a circuit breaker is open, the
 * bounded queue of upstream calls is full, or the store cannot grant a
 * refresh claim. Nothing is decided about the user's session: try again
 * after `retryAfterSeconds`. The gateway answers 503 with `Retry-After`.
 *
 * @example
 * ```ts
 * import { AuthLiteUnavailableError } from "@authlite/authlite";
 * const err = new AuthLiteUnavailableError("upstream", "Circuit open", 5);
 * console.assert(err.code === "ERR_UNAVAILABLE" && err.retryAfterSeconds === 5);
 * ```
 */
export class AuthLiteUnavailableError extends AuthLiteError {
  /** What could not answer. */
  readonly dependency: "upstream" | "store" | "capacity";
  /** When to try again, in whole seconds (at least 1). */
  readonly retryAfterSeconds: number;

  /**
   * Create an {@linkcode AuthLiteUnavailableError}.
   *
   * @param dependency what could not answer
   * @param detail why, with no token
   * @param retryAfterSeconds when to try again (rounded up, at least 1, at most 300:
   *   an upstream's throttle of the
   *   organisation's key is not a day-long ban of our callers)
   * @param options the cause, if any
   */
  constructor(
    dependency: "upstream" | "store" | "capacity",
    detail: string,
    retryAfterSeconds: number,
    options?: AuthLiteErrorOptions,
  ) {
    super("ERR_UNAVAILABLE", `Unavailable, try again later: ${dependency}: ${detail}`, options);
    this.dependency = dependency;
    this.retryAfterSeconds = boundedRetryAfter(retryAfterSeconds);
  }
}

/**
 * Whether an upstream call's failure says the upstream is down or overloaded
 * (a network error, a timeout, 408, 429 or 5xx), not something of the request:
 * what opens the breaker, and what no check may take for a verdict.
 *
 * @param err what an upstream call threw
 * @returns whether it is an outage
 */
export function isUpstreamOutage(err: unknown): boolean {
  if (err instanceof AuthLiteNetworkError) return true;
  return err instanceof AuthLiteHttpError &&
    (err.status === 408 || err.status === 429 || err.status >= 500);
}

/**
 * What an upstream failure means to a check that must not end a session on
 * weather: an outage (a network error, a timeout, 408, 429 or 5xx) becomes an
 * {@linkcode AuthLiteUnavailableError}, with the upstream's `Retry-After` when
 * it named one; anything else is no outage.
 *
 * @param err what an upstream call threw
 * @returns the outage, or `undefined`
 */
export function unavailableOf(err: unknown): AuthLiteUnavailableError | undefined {
  if (err instanceof AuthLiteNetworkError) {
    return new AuthLiteUnavailableError(
      "upstream",
      err.code === "ERR_TIMEOUT" ? "Timed out" : "Network failure",
      DEFAULT_RETRY_AFTER_SECONDS,
      { cause: err },
    );
  }
  if (err instanceof AuthLiteHttpError && isUpstreamOutage(err)) {
    return new AuthLiteUnavailableError(
      "upstream",
      `Upstream answered ${err.status}`,
      err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
      { cause: err },
    );
  }
  return undefined;
}
