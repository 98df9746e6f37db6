/**
 * The one error body of authlite's HTTP layers (`{error: {code, message,
 * issues?}}`), the status of each error code, and the one HTTP error class,
 * which the middleware, `authRoutes()` and the gateway throw.
 *
 * @module
 */
import { HTTPException } from "hono/http-exception";
import {
  type AuthLiteError,
  AuthLiteHttpError,
  AuthLiteUnavailableError,
  boundedRetryAfter,
  DEFAULT_RETRY_AFTER_SECONDS,
  isUpstreamOutage,
} from "../errors.ts";
import type { AuthLiteErrorCode } from "../errors.ts";

/** The codes of an error body: the client's, and those of the HTTP layers. */
export type ErrorCode =
  | AuthLiteErrorCode
  | "ERR_UNAUTHORIZED"
  | "ERR_FORBIDDEN"
  | "ERR_NOT_FOUND"
  | "ERR_PAYLOAD_TOO_LARGE"
  | "ERR_UNSUPPORTED_MEDIA_TYPE"
  | "ERR_RATE_LIMITED"
  | "ERR_INTERNAL";

/** One schema failure of a request. */
export interface ErrorIssue {
  /** Where in the input (e.g. `["json", "uid"]`). */
  path: Array<string | number>;
  /** What is wrong. */
  message: string;
  /** The validator's issue code (e.g. `invalid_type`). */
  code: string;
}

/**
 * The body of every error that the middleware and the gateway answer: the one
 * declaration of it. `C` is the type of the code: {@linkcode ErrorCode} where
 * it is produced; `string` where it is read (the gateway's typed caller), since
 * a newer gateway may answer a code this one does not know.
 */
export interface ErrorBody<C extends string = ErrorCode> {
  /** The failure. */
  error: {
    /** A stable code; switch on it. */
    code: C;
    /** A sentence for people, with no secret and no token. */
    message: string;
    /** The schema failures of the request, for a 400. */
    issues?: ErrorIssue[] | undefined;
  };
}

/**
 * Build an error body.
 *
 * @param code the stable code
 * @param message the sentence
 * @param issues the schema failures, if any
 * @returns the body
 * @example
 * ```ts
 * import { errorBody } from "./errors.ts";
 * const body = errorBody("ERR_FORBIDDEN", "Missing permission: admin");
 * console.assert(body.error.code === "ERR_FORBIDDEN");
 * ```
 */
export function errorBody(code: ErrorCode, message: string, issues?: ErrorIssue[]): ErrorBody {
  return issues === undefined ? { error: { code, message } } : { error: { code, message, issues } };
}

/** The statuses of authlite's error replies. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 413 | 415 | 429 | 500 | 502 | 503;

const PASSED_ON: ReadonlySet<number> = new Set([400, 401, 403, 404, 429]);

/**
 * The status and body of a client error, by its code: the one table of
 * authlite's HTTP layers.
 *
 * @param err an error of the client
 * @returns the status and the body
 * @example
 * ```ts
 * import { AuthLiteTokenSetError } from "@authlite/authlite";
 * import { replyOfError } from "./errors.ts";
 * const { status } = replyOfError(new AuthLiteTokenSetError("Log in again"));
 * console.assert(status === 401);
 * ```
 */
export function replyOfError(
  err: AuthLiteError,
): { status: ErrorStatus; body: ErrorBody } {
  const body = errorBody(err.code, err.message);
  switch (err.code) {
    case "ERR_BAD_INPUT":
      return { status: 400, body };
    case "ERR_INVALID_TOKEN_SET":
      return { status: 401, body };
    case "ERR_HTTP": {
      // What the upstream says of the request (bad input, no such id, no
      // right, slow down) is passed on; its failing (5xx, 408) is an outage,
      // answered as the open breaker answers it: 503, try again later.
      const upstream = err instanceof AuthLiteHttpError ? err.status : 0;
      if (PASSED_ON.has(upstream)) return { status: upstream as 400 | 401 | 403 | 404 | 429, body };
      return { status: isUpstreamOutage(err) ? 503 : 502, body };
    }
    case "ERR_NETWORK":
    case "ERR_TIMEOUT":
      // Not reached, or no answer in time: an outage too.
      return { status: 503, body };
    case "ERR_BAD_REPLY":
    case "ERR_BAD_SIGNATURE":
      // An answer that is not TrustAuthX's (or not signed with our secret):
      // waiting will not mend it.
      return { status: 502, body };
    case "ERR_CONFIG":
    case "ERR_CREDENTIALS":
      return {
        status: 500,
        body: errorBody(err.code, "The server is misconfigured: see its logs or settings"),
      };
    case "ERR_UNAVAILABLE":
      // Nothing is decided about the session: the caller tries again (the
      // gateway and the middleware add Retry-After from the error).
      return { status: 503, body };
  }
}

/**
 * The `Retry-After` of a reply, in seconds: on every 503 (the wait the error
 * names, or the upstream's, else a default) and on a 429 passed on when the
 * upstream named one; none on other replies.
 */
function retryAfterOf(err: AuthLiteError, status: ErrorStatus): number | undefined {
  if (err instanceof AuthLiteUnavailableError) return err.retryAfterSeconds;
  const asked = err instanceof AuthLiteHttpError ? err.retryAfterSeconds : undefined;
  if (status === 429) return asked === undefined ? undefined : boundedRetryAfter(asked);
  if (status !== 503) return undefined;
  return boundedRetryAfter(asked ?? DEFAULT_RETRY_AFTER_SECONDS);
}

/**
 * The one HTTP error of authlite's HTTP layers (the middleware, `authRoutes()`,
 * the gateway): a Hono `HTTPException` whose response is the JSON error body,
 * so that an app without an `onError` of its own answers it as it is, and one
 * with an `onError` can read `status`, `code`, `headers` and `body`.
 *
 * @example
 * ```ts
 * import { AuthLiteHonoError } from "@authlite/authlite/hono";
 * const err = new AuthLiteHonoError(403, "ERR_FORBIDDEN", "Missing permission: admin");
 * console.assert(err.getResponse().status === 403);
 * ```
 */
export class AuthLiteHonoError extends HTTPException {
  /** The code of the body. */
  readonly code: ErrorCode;
  /** Extra headers of the reply (e.g. `WWW-Authenticate`, `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The schema failures of the request, for a 400. */
  readonly issues: ErrorIssue[] | undefined;

  /**
   * Create the exception.
   *
   * @param status the HTTP status
   * @param code the code of the body
   * @param message a sentence with no secret and no token
   * @param headers extra headers of the reply
   * @param cause the error behind it, if any
   * @param issues the schema failures of the request, for a 400
   */
  constructor(
    status: ErrorStatus,
    code: ErrorCode,
    message: string,
    headers: Readonly<Record<string, string>> = {},
    cause?: unknown,
    issues?: ErrorIssue[],
  ) {
    super(status, { message, ...(cause === undefined ? {} : { cause }) });
    this.name = this.constructor.name;
    this.code = code;
    this.headers = headers;
    this.issues = issues;
  }

  /** The body of the reply. */
  get body(): ErrorBody {
    return errorBody(this.code, this.message, this.issues);
  }

  /**
   * The reply: the JSON error body with the status and headers.
   *
   * @returns a new response
   */
  override getResponse(): Response {
    return Response.json(this.body, {
      status: this.status,
      headers: { ...this.headers, "cache-control": "no-store" },
    });
  }

  /**
   * The exception of a client error (`ERR_INVALID_TOKEN_SET` is a 401,
   * `ERR_UNAVAILABLE` and an upstream outage a 503 with `Retry-After`, a reply
   * that is not TrustAuthX's a 502, ...).
   *
   * @param err the client's error
   * @param headers extra headers of the reply
   * @returns the exception
   */
  static of(err: AuthLiteError, headers: Readonly<Record<string, string>> = {}): AuthLiteHonoError {
    const { status, body } = replyOfError(err);
    const seconds = retryAfterOf(err, status);
    const retry = seconds === undefined ? {} : { "retry-after": String(seconds) };
    return new AuthLiteHonoError(
      status,
      body.error.code,
      body.error.message,
      { ...headers, ...retry },
      err,
    );
  }
}
