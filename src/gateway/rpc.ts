/**
 * The RPC routes: `POST /rpc/<operation>` for every operation of the table
 * (`operations.ts`), for services holding the service key. JSON in and out;
 * tokens travel in bodies, never in URLs.
 *
 * @module
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type GatewayDeps, requireService } from "./_deps.ts";
import { fastCheckOf, fastJsonRoute } from "./_fast_input.ts";
import { noStoreJson } from "../hono/_internal.ts";
import { rpcRoute } from "./_routes.ts";
import { validationHook } from "./errors.ts";
import { type OperationName, operationPath, operations } from "./operations.ts";

/**
 * The RPC routes, one per operation of the table.
 *
 * @param deps the gateway
 * @returns the routes as an app to mount at `/rpc` (their types: `RpcSchema`)
 */
export function rpcRoutes(deps: GatewayDeps): OpenAPIHono {
  const { client } = deps;
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use("*", requireService(deps));
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
    const handler = async (c: Context) => {
      const input = c.req.valid("json" as never) as never;
      return noStoreJson(await operation.run(client, input)) as never;
    };
    // The same schema, compiled where it can be: a body it accepts skips the
    // zod validator; anything else meets it (and its error replies) as before.
    const fast = fastCheckOf(operation.input);
    app.openapi(
      fast === undefined ? route : { ...route, middleware: fastJsonRoute(fast, handler) },
      handler,
    );
  }
  return app;
}
