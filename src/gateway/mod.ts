/**
 * The authlite gateway: a Hono app (`@hono/zod-openapi`) that wraps the
 * TrustAuthX client as browser session routes, typed RPC routes and admin
 * routes, with an OpenAPI document. Serve it on Cloudflare Workers, Deno or
 * Bun (see `src/runtime/`); call it from TypeScript with `createGatewayClient`
 * of the `./rpc` entry, typed by {@linkcode AppType}.
 *
 * @module
 */
export { createGateway } from "./app.ts";
export type { AppType, GatewayApp, GatewayOptions } from "./app.ts";
export type { GatewayDocs, SwaggerUiAssets } from "./_docs.ts";
export type {
  AssignmentRequest,
  BodyErrors,
  Endpoint,
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
  RpcSchema,
  SessionAndAdminSchema,
  UserDataReply,
  UserReply,
} from "./schema_types.ts";
export type { ErrorBody, ErrorCode, ErrorIssue } from "../hono/mod.ts";
export type { RateLimitOptions } from "./_rate_limit.ts";
export { cloudflarePeer } from "./_peer.ts";
export type { PeerInfo, PeerReader } from "./_peer.ts";
export { consoleLogger } from "./_logger.ts";
export type { GatewayLogger, LogLevel, LogRecord } from "./_logger.ts";
export { createTelemetry } from "./_telemetry.ts";
export type { AsyncLocalStorageLike, GatewayTelemetry, TelemetryOptions } from "./_telemetry.ts";
export type { StatusFigures, StatusReport } from "./_telemetry_status.ts";
export { checkUpstream } from "./_ready.ts";
export type { DependencyState, ReadyOptions, ReadyReport, ReadyStore } from "./_ready.ts";
export type { SessionCookieOptions } from "./_session.ts";
export { operationNames } from "./operations.ts";
export type { OperationName, OperationPath, RpcOperations } from "./operations.ts";
