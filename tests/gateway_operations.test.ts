/**
 * The operation table drives the RPC routes, their OpenAPI document and the
 * Worker's methods. Its zod schemas and its declared types
 * (`RpcOperations`, which `hono/client` sees) are checked against each
 * other at compile time; the routes and the document against the table at
 * run time.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { z } from "@hono/zod-openapi";
import type { JSONParsed } from "hono/utils/types";
import type { AuthLiteClient } from "../src/client/mod.ts";
import {
  type OperationName,
  operationPath,
  operations,
  type RpcOperations,
} from "../src/gateway/operations.ts";
import { SERVICE_KEY, startGateway } from "./_gateway_fixture.ts";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
type Table = typeof operations;

/**
 * For every operation: the zod input is the declared input, and the zod
 * output, as it travels in JSON, is the declared reply.
 */
type Checked = {
  [N in OperationName]: [
    Same<z.input<Table[N]["input"]>, RpcOperations[N]["input"]>,
    Same<JSONParsed<z.output<Table[N]["output"]>>, RpcOperations[N]["output"]>,
  ];
};
type AllTrue<T> = T[keyof T] extends [true, true] ? true : false;
export type TableMatchesTypes = Expect<AllTrue<Checked>>;
// The check can fail: a wrong declaration is caught.
type WrongReply = Same<
  JSONParsed<z.output<Table["getUser"]["output"]>>,
  RpcOperations["reAuth"]["output"]
>;
// @ts-expect-error: getUser's reply is not reAuth's (no name, no img)
export type Wrong = Expect<WrongReply>;

/** Every name of the table is a method of the client (`roles.query` → `client.roles.query`). */
type MethodOf<N extends string> = N extends `roles.${infer M}`
  ? M extends keyof AuthLiteClient["roles"] ? true : false
  : N extends keyof AuthLiteClient ? true
  : false;
export type NamesAreClientMethods = Expect<
  { [N in OperationName]: MethodOf<N> }[OperationName] extends true ? true : false
>;

test("operationPath() turns a method path into a route path", () => {
  assert.equal(operationPath("validateTokenSet"), "/validateTokenSet");
  assert.equal(operationPath("roles.query"), "/roles/query");
});

test("the OpenAPI document lists one RPC route per operation of the table, and no other", async () => {
  const fx = await startGateway();
  try {
    const res = await fx.app.request("/openapi.json");
    const doc = await res.json() as {
      paths: Record<string, Record<string, { summary?: string }>>;
    };
    const rpc = Object.keys(doc.paths).filter((p) => p.startsWith("/rpc/")).sort();
    const expected = (Object.keys(operations) as OperationName[])
      .map((n) => `/rpc${operationPath(n)}`)
      .sort();
    assert.deepEqual(rpc, expected);
    for (const name of Object.keys(operations) as OperationName[]) {
      const route = doc.paths[`/rpc${operationPath(name)}`]?.["post"];
      assert.equal(route?.summary, operations[name].summary, name);
    }
  } finally {
    await fx.close();
  }
});

test("every operation of the table answers over RPC, validated by its schema", async () => {
  const fx = await startGateway();
  try {
    const headers = { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" };
    for (const name of Object.keys(operations) as OperationName[]) {
      // A body that no input schema accepts: a 400 with issues, before any call.
      const hostile = { uid: 42, accessToken: 7, name: [], rolId: {}, roleId: 1 };
      const res = await fx.app.request(`/rpc${operationPath(name)}`, {
        method: "POST",
        headers,
        body: JSON.stringify(hostile),
      });
      const body = await res.json() as { error: { code: string; issues?: unknown[] } };
      if (operations[name].input.safeParse(hostile).success) {
        // The schema takes this body (extra keys are dropped): no 400, whatever else.
        assert.notEqual(res.status, 400, `${name}: ${JSON.stringify(body)}`);
      } else {
        assert.equal(res.status, 400, name);
        assert.equal(body.error.code, "ERR_BAD_INPUT", name);
        assert.ok((body.error.issues ?? []).length > 0, name);
      }
    }
  } finally {
    await fx.close();
  }
});
