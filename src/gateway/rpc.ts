/**
 * The RPC routes: `POST /rpc/<operation>` for every operation of the table
 * (`operations.ts`), for services holding the service key. JSON in and out;
 * tokens travel in bodies, never in URLs.
 *
 * @module
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { type GatewayDeps, requireService, serviceCheck } from "./_deps.ts";
import { fastCheckOf, fastJsonRoute } from "./_fast_input.ts";
import type { HotRpcRoute } from "./_lane.ts";
import { noStoreJson } from "../hono/_internal.ts";
import { rpcRoute } from "./_routes.ts";
import { validationHook } from "./errors.ts";
import { type OperationName, operationPath, operations } from "./operations.ts";

/**
 * The RPC routes, one per operation of the table.
 *
 * @param deps the gateway
 * @param hot told each route with a fast check, for the gateway's hot lane
 *   (its path under the mount point, its check and its answer)
 * @returns the routes as an app to mount at `/rpc` (their types: `RpcSchema`)
 */
export function rpcRoutes(
  deps: GatewayDeps,
  hot?: (path: string, route: HotRpcRoute) => void,
): OpenAPIHono {
  const { client } = deps;
  const app = new OpenAPIHono({ defaultHook: validationHook });
  // The credential is checked by each route's own middleware, first (one
  // layer less on every call than a middleware of the group in front of it);
  // what no route answers (another path or method) meets the same check below.
  const service = serviceCheck(deps);
  for (const name of Object.keys(operations) as OperationName[]) {
    const operation = operations[name];
    const route = rpcRoute(
      operationPath(name),
      operation.input,
      operation.output,
      operation.summary,
      operation.bodyRequired,
    );
    // The table ties each input schema to its call and its output schema
    // (checked where it is written); the loop only wires them.
    // The reply is built with the headers the gateway adds to every RPC reply
    // (nothing sets any on the context before it: see noStoreJson()).
    const answer = async (input: unknown): Promise<Response> =>
      noStoreJson(await operation.run(client, input as never));
    const handler = (c: Context) => answer(c.req.valid("json" as never)) as never;
    // The same schema, compiled where it can be: a body it accepts skips the
    // zod validator; anything else meets it (and its error replies) as before.
    const fast = fastCheckOf(operation.input);
    const fastRoute = fast === undefined ? undefined : fastJsonRoute(fast, handler);
    if (fast !== undefined) hot?.(operationPath(name), { check: fast, answer });
    const middleware: MiddlewareHandler = (c, next) => {
      service(c);
      return fastRoute === undefined ? next() : fastRoute(c, next);
    };
    app.openapi({ ...route, middleware }, handler);
  }
  // Registered after the routes: it runs only where none answered (their
  // handlers do not call next), so an unknown path or method under /rpc is
  // 401 without the credential and 404 with it, as in front of the routes.
  app.use("*", requireService(deps));
  return app;
}
