/**
 * The operation table drives the RPC routes, their OpenAPI document, the
 * Worker's methods and the types (`RpcOperations`, which `hono/client` sees,
 * is computed from it). Each entry's schemas are checked against its
 * declared types where the entry is written (`op(...) as Operation<I, O>`);
 * here: that the check can fail, that the table serves the contract's
 * operations (the one list written out), and the routes and the document
 * against the table at run time.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { JSONParsed } from "hono/utils/types";
import type { AuthLiteClient, ReAuthResult, User } from "../src/client/mod.ts";
import { operationNames as publicNames } from "../src/gateway/mod.ts";
import {
  op,
  type Operation,
  type OperationName,
  operationNames,
  operationPath,
  operations,
  type RpcOperations,
} from "../src/gateway/operations.ts";
import { CodeInput, ReAuthResultSchema } from "../src/gateway/schemas.ts";
import { SERVICE_KEY, startGateway } from "./_gateway_fixture.ts";

type Expect<T extends true> = T;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

// The check of an entry can fail: a declaration that its schemas do not
// match is caught where the entry is written.
export const right = op(
  "Exchange a profile code",
  CodeInput,
  ReAuthResultSchema,
  (c, i) => c.reAuth(i.code),
) as Operation<{ code: string }, ReAuthResult>;
export const wrongReply = op(
  "x",
  CodeInput,
  // @ts-expect-error: the schema answers reAuth's reply, not getUser's (no name, no img)
  ReAuthResultSchema,
  (c, i) => c.getUser(i.code),
) as Operation<{ code: string }, User>;
export const wrongInput = op(
  "x",
  // @ts-expect-error: the schema takes no `extra` (an optional key too many is caught)
  CodeInput,
  ReAuthResultSchema,
  (c, i) => c.reAuth(i.code),
) as Operation<{ code: string; extra?: string }, ReAuthResult>;
export const undeclared = op(
  "x",
  // @ts-expect-error: an entry without its declared types does not pass
  CodeInput,
  ReAuthResultSchema,
  (c, i) => c.reAuth(i.code),
);

// The types are the table's: one more entry is one more RpcOperations member.
export type FromTable = Expect<Equal<keyof RpcOperations, keyof typeof operations>>;
export type Computed = Expect<
  Equal<RpcOperations["reAuth"], { input: { code: string }; output: JSONParsed<ReAuthResult> }>
>;

/** Every name of the table is a method of the client (`roles.query` → `client.roles.query`). */
type MethodOf<N extends string> = N extends `roles.${infer M}`
  ? M extends keyof AuthLiteClient["roles"] ? true : false
  : N extends keyof AuthLiteClient ? true
  : false;
export type NamesAreClientMethods = Expect<
  { [N in OperationName]: MethodOf<N> }[OperationName] extends true ? true : false
>;

/**
 * The client operations the gateway serves, written out once: the public
 * contract's list (CONTRACT.md, §2), in its order. Every other list of
 * operations, in the code and in the tests, is read from the table.
 */
const CONTRACT_OPERATIONS = [
  "generateUrl",
  "generateEditUserUrl",
  "reAuth",
  "getUser",
  "getUserData",
  "getAccessTokenFromRefreshToken",
  "validateAccessToken",
  "revokeToken",
  "validateTokenSet",
  "attachRole",
  "removeRole",
  "updateRole",
  "roles.getAllRoles",
  "roles.addRole",
  "roles.deleteRole",
  "roles.addPermission",
  "roles.deletePermission",
  "roles.query",
  "roles.validate",
  "roles.count",
];

test("the table serves exactly the operations of the public contract, in its order", () => {
  assert.deepEqual([...operationNames], CONTRACT_OPERATIONS);
  assert.deepEqual(Object.keys(operations), CONTRACT_OPERATIONS);
  assert.equal(publicNames, operationNames);
});

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
    const expected = operationNames.map((n) => `/rpc${operationPath(n)}`).sort();
    assert.deepEqual(rpc, expected);
    for (const name of operationNames) {
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
    for (const name of operationNames) {
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
