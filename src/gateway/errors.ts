/**
 * The gateway's error handler: every failure becomes the one JSON body
 * `{error: {code, message, issues?}}` (`src/hono/errors.ts`), with the status
 * of the one HTTP error class or of the client error's code.
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { AuthLiteError } from "../errors.ts";
import { AuthLiteHonoError, type ErrorBody, type ErrorCode, type ErrorIssue } from "../hono/mod.ts";
import { errorBody } from "../hono/_internal.ts";

export { AuthLiteHonoError, errorBody };

/**
 * The one HTTP error class, under the name the gateway's files used before
 * it was one: kept for `_rate_limit.ts` until it imports
 * {@linkcode AuthLiteHonoError} (the same class).
 *
 * @deprecated use `AuthLiteHonoError`
 */
export const GatewayError: typeof AuthLiteHonoError = AuthLiteHonoError;

/**
 * The status and body of an error: the gateway's own, the middleware's, and
 * the client's by the one table of `src/hono/errors.ts`.
 *
 * @param err whatever was thrown
 * @returns the status, the body and any extra headers
 */
export function mapError(err: unknown): {
  status: ContentfulStatusCode;
  body: ErrorBody;
  headers: Readonly<Record<string, string>>;
} {
  const none = {};
  if (err instanceof AuthLiteHonoError) {
    return { status: err.status as ContentfulStatusCode, body: err.body, headers: err.headers };
  }
  if (err instanceof AuthLiteError) {
    const { status, body, headers } = AuthLiteHonoError.of(err);
    return { status: status as ContentfulStatusCode, body, headers };
  }
  if (err instanceof HTTPException) {
    return {
      status: err.status,
      body: errorBody(codeOfStatus(err.status), messageOfStatus(err.status, err.message)),
      headers: none,
    };
  }
  return {
    status: 500,
    body: errorBody("ERR_INTERNAL", "Internal error"),
    headers: none,
  };
}

function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return "ERR_BAD_INPUT";
    case 401:
      return "ERR_UNAUTHORIZED";
    case 403:
      return "ERR_FORBIDDEN";
    case 404:
      return "ERR_NOT_FOUND";
    case 413:
      return "ERR_PAYLOAD_TOO_LARGE";
    case 415:
      return "ERR_UNSUPPORTED_MEDIA_TYPE";
    case 429:
      return "ERR_RATE_LIMITED";
    default:
      return status >= 500 ? "ERR_INTERNAL" : "ERR_BAD_INPUT";
  }
}

function messageOfStatus(status: number, message: string): string {
  if (status === 415) return "Unsupported media type: send application/json";
  if (status === 400 && /json/i.test(message)) return "Malformed JSON in request body";
  if (status >= 500) return "Internal error";
  return message === "" ? `Request failed: ${status}` : message;
}

/**
 * Replace every occurrence of the given secrets in a text.
 *
 * @param text the text to clean
 * @param secrets the strings that must not appear
 * @returns the text with each secret replaced by `[redacted]`
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/**
 * The `app.onError` handler: maps the error and answers JSON.
 *
 * @param secrets strings removed from every message as a last line of defence
 * @returns the handler
 */
export function onGatewayError(
  secrets: readonly string[],
): (err: Error, c: Context) => Response {
  const reply = errorReplyOf(secrets);
  return (err, c) => reply(err, (body, status) => c.json(body, status));
}

/**
 * The gateway's error reply, built by `json` (the context's `c.json()`, or
 * what it makes on a context nothing has set headers on: the hot lane's).
 *
 * @param secrets the credentials to redact from messages
 * @returns the reply of an error
 */
export function errorReplyOf(
  secrets: readonly string[],
): (err: Error, json: (body: unknown, status: ContentfulStatusCode) => Response) => Response {
  return (err, json) => {
    const { status, body, headers } = mapError(err);
    body.error.message = redact(body.error.message, secrets);
    const res = json(body, status);
    for (const [name, value] of Object.entries(headers)) res.headers.set(name, value);
    return res;
  };
}

/**
 * The issues of a failed schema validation, for the body of a 400.
 *
 * @param error the validator's error
 * @param target which part of the request failed (`json`, `query`, `param`, ...)
 * @returns one issue per failure
 */
export function issuesOf(error: ZodError, target: string): ErrorIssue[] {
  return error.issues.map((issue) => ({
    path: [target, ...issue.path.map((p) => typeof p === "symbol" ? String(p) : p)],
    message: issue.message,
    code: issue.code,
  }));
}

/**
 * The `defaultHook` of every `OpenAPIHono` of the gateway: a schema failure
 * answers 400 with its issues.
 *
 * @param result the validation result
 * @param c the context
 * @returns a 400 response on failure, nothing on success
 */
export function validationHook(
  result: { success: true; target: string } | { success: false; error: ZodError; target: string },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const issues = issuesOf(result.error, result.target);
  const first = issues[0];
  const detail = first === undefined ? "" : `: ${first.path.join(".")}: ${first.message}`;
  return c.json(errorBody("ERR_BAD_INPUT", `Invalid request${detail}`, issues), 400);
}
