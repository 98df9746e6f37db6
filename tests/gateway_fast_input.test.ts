// The RPC routes' fast input check (src/gateway/_fast_input.ts) against the
// zod validator it stands in front of: it may accept only what zod accepts,
// with zod's output, and every reply over a route with it is byte for byte the
// reply without it, for valid and hostile bodies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { z } from "zod";
import { fastCheckOf, fastJsonRoute, rejected } from "../src/gateway/_fast_input.ts";
import { rpcRoute } from "../src/gateway/_routes.ts";
import { onGatewayError, validationHook } from "../src/gateway/errors.ts";
import { type OperationName, operationPath, operations } from "../src/gateway/operations.ts";
import { ADMIN_KEY, SERVICE_KEY, startGateway } from "./_gateway_fixture.ts";

const names = Object.keys(operations) as OperationName[];
const long = (n: number) => "x".repeat(n);

/** Values for one field: valid ones, wrong types, edge lengths, hostile strings. */
const FIELD_VALUES: unknown[] = [
  "a",
  "",
  " ",
  long(256),
  long(257),
  long(2048),
  long(8192),
  long(8193),
  "😀".repeat(4096), // 8192 UTF-16 code units
  "😀".repeat(4097),
  "\u0000\ud800",
  "https://example.com/back",
  "rol_abc",
  1,
  0,
  -1,
  1.5,
  null,
  true,
  false,
  [],
  ["a"],
  {},
  { a: "b" },
];

/** Whole bodies that are not an object of the right keys. */
const HOSTILE_BODIES: unknown[] = [
  null,
  [],
  [{}],
  "a",
  1,
  true,
  {},
  JSON.parse('{"__proto__": {"accessToken": "a", "refreshToken": "a"}}'),
  JSON.parse('{"constructor": "a", "toString": "a", "accessToken": "a"}'),
  { accessToken: "a", extra: "dropped", nested: { deep: [1, 2] } },
];

/** Bodies for a schema: every key set to a plausible value, then each key varied. */
function bodiesOf(schema: z.ZodType): unknown[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
  const keys = Object.keys(shape);
  const bases: Record<string, unknown>[] = [{}];
  for (const key of keys) {
    const next: Record<string, unknown>[] = [];
    for (const base of bases) {
      for (const v of ["a", true, "https://example.com/x"]) next.push({ ...base, [key]: v });
      next.push({ ...base }); // the key missing
    }
    bases.splice(0, bases.length, ...next.slice(0, 64));
  }
  const bodies: unknown[] = [...HOSTILE_BODIES, ...bases];
  for (const base of bases.slice(0, 8)) {
    for (const key of keys) {
      for (const value of FIELD_VALUES) bodies.push({ ...base, [key]: value });
    }
  }
  return bodies;
}

test("fastCheckOf() compiles the token and key inputs of the hot routes", () => {
  for (const name of ["validateTokenSet", "validateAccessToken", "revokeToken"] as const) {
    assert.ok(fastCheckOf(operations[name].input) !== undefined, name);
  }
});

test("fastCheckOf() accepts only what zod accepts, with zod's output, for every operation", () => {
  let compiled = 0;
  let accepted = 0;
  for (const name of names) {
    const schema = operations[name].input as z.ZodType;
    const check = fastCheckOf(schema);
    if (check === undefined) continue;
    compiled++;
    for (const body of bodiesOf(schema)) {
      const fast = check(body);
      if (rejected(fast)) continue;
      accepted++;
      const slow = schema.safeParse(body);
      assert.ok(
        slow.success,
        `${name}: the fast check accepted what zod refuses: ${JSON.stringify(body)}`,
      );
      assert.deepStrictEqual(fast, slow.data, `${name}: ${JSON.stringify(body)}`);
      assert.deepStrictEqual(Object.keys(fast as object), Object.keys(slow.data as object));
    }
  }
  assert.ok(compiled >= 10, `compiled ${compiled}`);
  assert.ok(accepted > 100, `accepted ${accepted}`);
});

test("fastCheckOf() accepts the valid token sets that the hot route sees", () => {
  const check = fastCheckOf(operations.validateTokenSet.input)!;
  for (
    const body of [
      { accessToken: "a" },
      { accessToken: "a", refreshToken: "b" },
      { accessToken: long(8192), refreshToken: long(8192), other: 1 },
    ]
  ) {
    assert.ok(!rejected(check(body)), JSON.stringify(body));
  }
});

test("fastCheckOf() has no check for a schema outside its subset", () => {
  const input = operations.generateEditUserUrl.input; // z.url(): a format
  assert.equal(fastCheckOf(input), undefined);
  assert.equal(fastCheckOf(undefined), undefined);
  assert.equal(fastCheckOf({}), undefined);
});

/** Bodies that took the fast path, by route app. */
let fastHits = 0;

/** One RPC route as the gateway builds it, with or without the fast path. */
function routeApp(name: OperationName, fast: boolean): OpenAPIHono {
  const operation = operations[name];
  const route = rpcRoute(
    operationPath(name),
    operation.input,
    operation.output,
    operation.summary,
    operation.bodyRequired,
  );
  const handler = (c: Context) => c.json({ got: c.req.valid("json" as never) }, 200) as never;
  const check = fastCheckOf(operation.input);
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.onError(onGatewayError([]));
  if (fast && check !== undefined) {
    const counted = (input: unknown) => {
      const out = check(input);
      if (!rejected(out)) fastHits++;
      return out;
    };
    app.openapi({ ...route, middleware: fastJsonRoute(counted, handler) }, handler);
  } else {
    app.openapi(route, handler);
  }
  return app;
}

const CONTENT_TYPES: (string | undefined)[] = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json;charset=UTF-8",
  "APPLICATION/JSON",
  "application/vnd.api+json",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  undefined,
];

const RAW_BODIES: (string | undefined)[] = [
  undefined,
  "",
  "{",
  "nul",
  '{"accessToken": "a"',
  '{"accessToken":"a","accessToken":""}',
  '{"accessToken":"a","refreshToken":"b"}',
  '{"accessToken":"\\ud800"}',
  "accessToken=a",
];

async function reply(
  app: OpenAPIHono,
  path: string,
  type: string | undefined,
  body: string | undefined,
) {
  const res = await app.request(`http://gw.test${path}`, {
    method: "POST",
    headers: type === undefined ? {} : { "content-type": type },
    ...(body === undefined ? {} : { body }),
  });
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    body: await res.text(),
  };
}

test("fastJsonRoute() replies byte for byte as the zod validator alone, over valid and hostile bodies", async () => {
  fastHits = 0;
  for (
    const name of ["validateTokenSet", "revokeToken", "generateUrl", "roles.validate"] as const
  ) {
    const path = operationPath(name);
    const slow = routeApp(name, false);
    const fast = routeApp(name, true);
    const schema = operations[name].input as z.ZodType;
    const bodies = [
      ...RAW_BODIES,
      ...bodiesOf(schema).slice(0, 120).map((b) => JSON.stringify(b)),
    ];
    for (const type of CONTENT_TYPES) {
      for (const body of bodies) {
        const expected = await reply(slow, path, type, body);
        const got = await reply(fast, path, type, body);
        assert.deepStrictEqual(got, expected, `${name} ${type} ${body?.slice(0, 80)}`);
      }
    }
  }
  assert.ok(fastHits > 100, `the fast path answered ${fastHits} bodies`);
});

test("POST /rpc/validateTokenSet answers hostile bodies with zod's issues through the gateway", async () => {
  const fx = await startGateway();
  try {
    const slow = routeApp("validateTokenSet", false);
    for (
      const body of [
        "{}",
        "[]",
        "null",
        '{"accessToken":""}',
        `{"accessToken":"${long(8193)}"}`,
        '{"accessToken":"a","refreshToken":null}',
        '{"accessToken":1}',
      ]
    ) {
      const res = await fx.app.request("http://gw.test/rpc/validateTokenSet", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${SERVICE_KEY}` },
        body,
      });
      const expected = await reply(slow, "/validateTokenSet", "application/json", body);
      assert.equal(res.status, 400, body);
      assert.equal(await res.text(), expected.body, body);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    }
    // The credential is still checked first: the fast path is the route's, behind the guard.
    const res = await fx.app.request("http://gw.test/rpc/validateTokenSet", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` },
      body: '{"accessToken":"a"}',
    });
    assert.equal(res.status, 401);
  } finally {
    await fx.close();
  }
});
