/**
 * What `hc<AppType>` infers is part of the product: these type assertions are
 * checked by `deno check`, and the test runs one typed call for real.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { InferRequestType, InferResponseType } from "hono/client";
import type { AppType } from "../src/gateway/mod.ts";
import { createGatewayClient, type GatewayClient } from "../src/rpc/mod.ts";
import { SERVICE_KEY, startGateway } from "./_gateway_fixture.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
type Expect<T extends true> = T;

type ErrorBody = {
  error: {
    code: string;
    message: string;
    issues?: { path: (string | number)[]; message: string; code: string }[] | undefined;
  };
};

type Rpc = GatewayClient["rpc"];

// validateTokenSet: input, 200 and every declared error status.
type ValidateTokenSet = Rpc["validateTokenSet"]["$post"];
export type T1 = Expect<
  Equal<
    InferRequestType<ValidateTokenSet>,
    { json: { accessToken: string; refreshToken?: string | undefined } }
  >
>;
export type T2 = Expect<
  Equal<
    InferResponseType<ValidateTokenSet, 200>,
    { state: boolean; access: string; refresh: string | null }
  >
>;
export type T3 = Expect<Equal<InferResponseType<ValidateTokenSet, 400>, ErrorBody>>;
export type T4 = Expect<Equal<InferResponseType<ValidateTokenSet, 401>, ErrorBody>>;
export type T5 = Expect<Equal<InferResponseType<ValidateTokenSet, 403>, ErrorBody>>;
export type T6 = Expect<Equal<InferResponseType<ValidateTokenSet, 429>, ErrorBody>>;
export type T7 = Expect<Equal<InferResponseType<ValidateTokenSet, 502>, ErrorBody>>;
export type T7b = Expect<Equal<InferResponseType<ValidateTokenSet, 503>, ErrorBody>>;
export type T8 = Expect<Equal<InferResponseType<ValidateTokenSet, 413>, ErrorBody>>;
export type T8b = Expect<Equal<InferResponseType<ValidateTokenSet, 404>, ErrorBody>>;

// getUser: the user, tokens included (a service asked for them).
type GetUser = Rpc["getUser"]["$post"];
export type T9 = Expect<Equal<InferRequestType<GetUser>, { json: { userToken: string } }>>;
type User = InferResponseType<GetUser, 200>;
export type T10 = Expect<Equal<User["accessToken"], string>>;
export type T11 = Expect<Equal<User["name"], string | null>>;
export type T12 = Expect<Equal<User["roles"], string[]>>;

// roles: permissions as a map or a list of maps.
type AddRole = Rpc["roles"]["addRole"]["$post"];
export type T13 = Expect<
  Equal<
    InferRequestType<AddRole>["json"]["permissions"],
    Record<string, string> | Record<string, string>[]
  >
>;
export type T14 = Expect<
  Equal<
    InferResponseType<AddRole, 200>,
    { orgId: string; rolId: string; name: string; permissions: Record<string, string>[] }
  >
>;

// role assignments: a union on signedOff.
type Assignment = InferResponseType<Rpc["attachRole"]["$post"], 200>;
export type T15 = Expect<Equal<Assignment["signedOff"], boolean>>;
export type T16 = Expect<
  Equal<Extract<Assignment, { signedOff: true }>["roles"], string[]>
>;

// session routes: me has no token; logout takes {all?}.
type Me = InferResponseType<GatewayClient["auth"]["me"]["$get"], 200>;
export type T17 = Expect<
  Equal<
    Me,
    {
      user: {
        uid: string;
        email: string;
        name: string | null;
        img: string | null;
        roles: string[];
      };
      session: { refreshed: boolean };
    }
  >
>;
export type T18 = Expect<
  Equal<InferResponseType<GatewayClient["auth"]["me"]["$get"], 401>, ErrorBody>
>;
export type T19 = Expect<
  Equal<
    InferRequestType<GatewayClient["auth"]["logout"]["$post"]>,
    { json: { all?: boolean | undefined } }
  >
>;

// admin routes: path parameters typed.
type DeleteRole = GatewayClient["admin"]["roles"][":rolId"]["$delete"];
export type T20 = Expect<Equal<InferRequestType<DeleteRole>, { param: { rolId: string } }>>;
export type T21 = Expect<Equal<InferResponseType<DeleteRole, 403>, ErrorBody>>;
type UserRoles = GatewayClient["admin"]["users"][":uid"]["roles"]["$post"];
export type T22 = Expect<
  Equal<
    InferRequestType<UserRoles>,
    & { param: { uid: string } }
    & { json: { add?: string[] | undefined; remove?: string[] | undefined } }
  >
>;

// The helpers do tell types apart.
// @ts-expect-error: a 200 reply is not an error body
export type N1 = Expect<Equal<InferResponseType<ValidateTokenSet, 200>, ErrorBody>>;
type WrongInput = { json: { accessToken?: string } };
// @ts-expect-error: the refresh token is optional, the access token is not
export type N2 = Expect<Equal<InferRequestType<ValidateTokenSet>, WrongInput>>;

// The app type and the caller agree.
export type T23 = Expect<Equal<GatewayClient, ReturnType<typeof createGatewayClient>>>;
export type T24 = Expect<AppType extends { fetch: unknown } ? true : false>;

test("createGatewayClient() calls the gateway with typed input and output", async () => {
  const fx = await startGateway();
  try {
    const gateway = createGatewayClient("http://gw.test", {
      credential: SERVICE_KEY,
      fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
        fx.app.request(input instanceof Request ? input : String(input), init)) as typeof fetch,
    });
    const s = fx.emu.session({ email: "typed@example.com" });
    const res = await gateway.rpc.validateTokenSet.$post({
      json: { accessToken: s.accessToken, refreshToken: s.refreshToken },
    });
    if (res.status !== 200) return assert.fail(`status ${res.status}`);
    const check: { state: boolean; access: string; refresh: string | null } = await res.json();
    assert.equal(check.state, true);

    const denied = await createGatewayClient("http://gw.test", {
      fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
        fx.app.request(input instanceof Request ? input : String(input), init)) as typeof fetch,
    }).rpc.generateUrl.$post({ json: {} });
    if (denied.status !== 401) return assert.fail(`status ${denied.status}`);
    const body: ErrorBody = await denied.json();
    assert.equal(body.error.code, "ERR_UNAUTHORIZED");

    const health = await gateway.health.$get();
    assert.deepEqual(await health.json(), { ok: true });
  } finally {
    await fx.close();
  }
});
