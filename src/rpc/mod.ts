/**
 * A typed caller of the gateway for frontends and other services, built on
 * `hono/client`: every route, its input and each of its replies (200 and the
 * errors) are typed from the gateway app itself. It carries no server code:
 * it imports only the gateway's types, so a browser bundle holds `hono/client`
 * and this file.
 *
 * @example Call an RPC route from another service
 * ```ts ignore
 * import { createGatewayClient } from "@authlite/authlite/rpc";
 *
 * const gateway = createGatewayClient("https://auth.example.com", {
 *   credential: "the service key",
 * });
 * const res = await gateway.rpc.validateTokenSet.$post({
 *   json: { accessToken: "...", refreshToken: "..." },
 * });
 * if (res.status === 200) {
 *   const { state, access, refresh } = await res.json();
 * } else {
 *   const { error } = await res.json(); // {code, message}
 * }
 * ```
 *
 * @module
 */
import { hc } from "hono/client";
import type { AppType } from "../gateway/mod.ts";

export type {
  AppType,
  AssignmentRequest,
  BodyErrors,
  Endpoint,
  ErrorBody,
  ErrorIssue,
  ErrorReply,
  Errors,
  Fail,
  GatewaySchema,
  IssueReply,
  MeReply,
  NoInput,
  Ok,
  PermissionsRequest,
  ReAuthReply,
  Redirect,
  RoleAssignmentReply,
  RoleIdsRequest,
  RolePermissionsReply,
  RoleReply,
  Rpc,
  UserDataReply,
  UserReply,
} from "../gateway/mod.ts";

/** The typed caller: `client.rpc.getUser.$post({json})`, `client.auth.me.$get()`, ... */
export type GatewayClient = ReturnType<typeof hc<AppType>>;

/** Options of {@linkcode createGatewayClient}. */
export interface GatewayClientOptions {
  /** The service key or admin key, sent as `Authorization: Bearer <credential>`. */
  credential?: string;
  /** Extra headers of every request. */
  headers?: Record<string, string>;
  /** The `fetch` to use (default the global one; tests pass `app.request`). */
  fetch?: typeof fetch;
  /** `RequestInit` merged into every request (e.g. `{credentials: "include"}` in browsers). */
  init?: RequestInit;
}

/**
 * Make a typed caller of a gateway.
 *
 * @param baseUrl the gateway's origin, e.g. `https://auth.example.com`
 * @param options a credential, headers, a `fetch`
 * @returns the caller
 * @example
 * ```ts ignore
 * const gateway = createGatewayClient("http://127.0.0.1:8787");
 * const res = await gateway.health.$get();
 * ```
 */
export function createGatewayClient(
  baseUrl: string,
  options: GatewayClientOptions = {},
): GatewayClient {
  const headers: Record<string, string> = { ...options.headers };
  if (options.credential !== undefined) headers["authorization"] = `Bearer ${options.credential}`;
  return hc<AppType>(baseUrl, {
    headers,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.init === undefined ? {} : { init: options.init }),
  });
}
