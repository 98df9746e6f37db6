/**
 * Helpers that declare routes: JSON bodies, JSON replies and the error
 * replies every route shares, so that the OpenAPI document and the types of
 * `hono/client` list them all.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import { ErrorSchema } from "./schemas.ts";

/**
 * A JSON reply.
 *
 * @param schema the body's schema
 * @param description what it means
 * @returns the reply declaration
 */
export const jsonReply = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/**
 * A required JSON request body.
 *
 * @param schema the body's schema
 * @param required whether a body must be sent (default `true`; when not, no body means `{}`)
 * @returns the body declaration
 */
export const jsonBody = <T extends z.ZodType>(schema: T, required = true) => ({
  content: { "application/json": { schema } },
  required,
});

/** The error replies of every route. */
export const errorReplies = {
  400: jsonReply(ErrorSchema, "Bad input: the body says which part (`issues`)"),
  401: jsonReply(ErrorSchema, "Missing or wrong credential, or the session is over"),
  403: jsonReply(ErrorSchema, "Not allowed"),
  404: jsonReply(ErrorSchema, "No such route, or the upstream knows no such id"),
  429: jsonReply(ErrorSchema, "Too many requests (see `Retry-After`)"),
  500: jsonReply(ErrorSchema, "Internal error or misconfiguration"),
  502: jsonReply(ErrorSchema, "The upstream answered something that is not a valid reply"),
  503: jsonReply(
    ErrorSchema,
    "Unavailable now (the upstream or the store failed, timed out or is throttled): see `Retry-After`",
  ),
};

/** The error replies of routes with a body. */
export const bodyErrorReplies = {
  ...errorReplies,
  413: jsonReply(ErrorSchema, "The body is too large"),
  415: jsonReply(ErrorSchema, "The body is not application/json"),
};

/** Security requirement of the RPC routes. */
export const serviceSecurity = [{ serviceKey: [] }];
/** Security requirement of the admin routes. */
export const adminSecurity = [{ adminKey: [] }, { session: [] }];

/**
 * A `POST /rpc/...` route: JSON in, JSON out, service credential required.
 *
 * @param path the route path
 * @param input the body's schema
 * @param output the reply's schema
 * @param summary one line for the document
 * @param required whether a body must be sent (default `true`)
 * @returns the route
 */
export const rpcRoute = <P extends string, I extends z.ZodType, O extends z.ZodType>(
  path: P,
  input: I,
  output: O,
  summary: string,
  required = true,
) =>
  createRoute({
    method: "post",
    path,
    tags: ["RPC"],
    summary,
    security: serviceSecurity,
    request: { body: jsonBody(input, required) },
    responses: { 200: jsonReply(output, "The operation's result"), ...bodyErrorReplies },
  });
