/**
 * What every operation of the client shares: its options, its transport,
 * its signed key, and the request helper that adds the credentials.
 *
 * @module
 */
import { AuthLiteInputError } from "../errors.ts";
import type { ResolvedOptions } from "./options.ts";
import type { LazySignedKey } from "./signing.ts";
import type { HttpMethod, Transport, TransportReply } from "./transport.ts";
import { parseJsonBody, readSignedString } from "./schemas.ts";
import { verifySignedReply } from "./verify.ts";
import type { Claims } from "./types.ts";

/** The shared state of one client. */
export interface ClientContext {
  readonly options: ResolvedOptions;
  readonly transport: Transport;
  readonly signedKey: LazySignedKey;
  readonly secretBytes: Uint8Array;
}

/** One call to the upstream, before the credentials are added. */
export interface CallSpec {
  method: HttpMethod;
  path: string;
  /** Query parameters before `api_key` and `signed_key`. */
  query?: ReadonlyArray<readonly [string, string]>;
  /** Query parameters after `api_key` and `signed_key`. */
  queryAfter?: ReadonlyArray<readonly [string, string]>;
  body?: unknown;
  /** Tokens in this call, kept out of errors. */
  sensitive?: readonly string[];
  /** Failure statuses that are answers here. */
  answers?: readonly number[];
}

/** Send a call with `api_key` and `signed_key`. */
export async function call(ctx: ClientContext, spec: CallSpec): Promise<TransportReply> {
  const signedKey = await ctx.signedKey.get();
  return ctx.transport.send({
    method: spec.method,
    path: spec.path,
    query: [
      ...(spec.query ?? []),
      ["api_key", ctx.options.apiKey],
      ["signed_key", signedKey],
      ...(spec.queryAfter ?? []),
    ],
    ...(spec.body === undefined ? {} : { body: spec.body }),
    sensitive: spec.sensitive ?? [],
    ...(spec.answers === undefined ? {} : { answers: spec.answers }),
  });
}

/** Send a call and parse its JSON reply. */
export async function callJson(ctx: ClientContext, spec: CallSpec): Promise<unknown> {
  const reply = await call(ctx, spec);
  return parseJsonBody(reply.text, spec.path);
}

/** Send a call whose reply is a signed string; verify it and return its claims. */
export async function callSigned(ctx: ClientContext, spec: CallSpec): Promise<Claims> {
  const token = readSignedString(await callJson(ctx, spec), spec.path);
  return await verifySignedReply(token, ctx.secretBytes, {
    endpoint: spec.path,
    clockToleranceSeconds: ctx.options.clockToleranceSeconds,
    now: ctx.options.now,
  });
}

/** The organisation id, or `ERR_CONFIG` naming the operation that needs it. */
export function requireOrgId(ctx: ClientContext, operation: string): string {
  const orgId = ctx.options.orgId;
  if (orgId === undefined) {
    throw new AuthLiteInputError("ERR_CONFIG", `Missing option: orgId (needed by ${operation})`);
  }
  return orgId;
}
