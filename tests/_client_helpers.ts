/**
 * Test helpers of the client suites: an emulator on a loopback socket with a
 * client wired to it, a recording fake `fetch`, signed replies, and a check
 * that an error carries no secret.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import type { Emulator, EmulatorOptions } from "../src/emulator/mod.ts";
import { AuthLiteClient } from "../mod.ts";
import type { AuthLiteClientOptions, FetchLike } from "../mod.ts";
import { serve } from "./_serve.ts";
import type { TestServer } from "./_serve.ts";

/** The credentials of the wire vectors. */
export const TEST_CREDENTIALS = {
  apiKey: "key_test_1",
  secretKey: "s3cr3t-key-for-tests-0123456789abcdef",
  orgId: "org_test_1",
} as const;

/** The `signed_key` of {@linkcode TEST_CREDENTIALS}. */
export const TEST_SIGNED_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcGlfa2V5Ijoia2V5X3Rlc3RfMSJ9.2a7KyGp8e_GUM-vPTAOtj5htxnvaE4W-0WwF3E0k59Y";

/** An emulator served on 127.0.0.1, and a client of it. */
export interface EmulatorEnv {
  emu: Emulator;
  server: TestServer;
  client: AuthLiteClient;
  /** Every request `client` sent, as `"METHOD /path"` (the emulator counts by path only). */
  sent: string[];
  /** Another client of the same emulator, with extra options. */
  makeClient(extra?: Partial<AuthLiteClientOptions>): AuthLiteClient;
  close(): Promise<void>;
}

/** Start an emulator (control on) and a client of the demo organisation. */
export async function startEmulator(
  options: { emulator?: EmulatorOptions; client?: Partial<AuthLiteClientOptions> } = {},
): Promise<EmulatorEnv> {
  const emu = createEmulator({ control: true, ...options.emulator });
  const server = await serve(emu.fetch);
  const sent: string[] = [];
  const recording: FetchLike = (input, init) => {
    sent.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
    return fetch(input, init);
  };
  const makeClient = (extra: Partial<AuthLiteClientOptions> = {}) =>
    new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      baseUrl: server.url,
      widgetUrl: server.url,
      ...options.client,
      ...extra,
    });
  const client = makeClient({ fetch: recording, ...options.client });
  return { emu, server, client, sent, makeClient, close: () => server.close() };
}

/** A request seen by {@linkcode fakeFetch}. */
export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  signal: AbortSignal | undefined;
}

/** A `fetch` that records every request and answers with `respond`. */
export function fakeFetch(
  respond: (req: RecordedRequest, index: number) => Response | Promise<Response>,
): { fetch: FetchLike; calls: RecordedRequest[] } {
  const calls: RecordedRequest[] = [];
  const fetch: FetchLike = async (input, init) => {
    const req = new Request(input, init);
    const recorded: RecordedRequest = {
      method: req.method,
      url: new URL(req.url),
      headers: req.headers,
      body: await req.text(),
      signal: init?.signal ?? undefined,
    };
    calls.push(recorded);
    return await respond(recorded, calls.length - 1);
  };
  return { fetch, calls };
}

/** A JSON reply. */
export function jsonReply(value: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A client of the test credentials with a fake `fetch`. */
export function fakeClient(
  respond: (req: RecordedRequest, index: number) => Response | Promise<Response>,
  extra: Partial<AuthLiteClientOptions> = {},
): { client: AuthLiteClient; calls: RecordedRequest[] } {
  const { fetch, calls } = fakeFetch(respond);
  const client = new AuthLiteClient({
    ...TEST_CREDENTIALS,
    baseUrl: "https://upstream.test",
    fetch,
    ...extra,
  });
  return { client, calls };
}

/** An HS256 JWS of `claims` (or another algorithm of the HMAC family). */
export function signClaims(
  claims: Record<string, unknown>,
  secret: string = TEST_CREDENTIALS.secretKey,
  alg: "HS256" | "HS384" | "HS512" = "HS256",
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(
    new TextEncoder().encode(secret),
  );
}

/** An unsecured JWT (`alg: none`). */
export function unsecuredJwt(claims: Record<string, unknown>): string {
  const b64 = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
}

/** The claims of a session reply (get user, re-auth). */
export function sessionClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: "test",
    jti: "jti_1",
    type: "user",
    iat: now,
    exp: now + 3600,
    access_token: "acc_new",
    refresh_token: "ref_new",
    refresh_exp: now + 86400,
    scope: JSON.stringify(["rol_A"]),
    img: "https://img.test/a.png",
    name: "Ada",
    sub: JSON.stringify({ email: "ada@example.com", uid: "uid_1" }),
    ...extra,
  };
}

/** Assert `err` is an error with this `code`, and return it. */
export function assertCode(err: unknown, code: string): Error & { code: string } {
  assert.ok(err instanceof Error, "expected an Error");
  assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got: ${err.message}`);
  return err as Error & { code: string };
}

/** Await `promise`, expecting it to reject with `code`; return the error. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
): Promise<Error & { code: string }> {
  try {
    await promise;
  } catch (err) {
    return assertCode(err, code);
  }
  assert.fail(`expected a rejection with ${code}`);
}

/**
 * Assert that no `secret` appears in the message, stack, `JSON.stringify`
 * or any own property of `err` and of its whole cause chain.
 */
export function assertNoSecrets(err: unknown, secrets: readonly string[]): void {
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    const texts: string[] = [String(current), JSON.stringify(current) ?? ""];
    if (current instanceof Error) {
      texts.push(current.message, current.stack ?? "");
      for (const key of Object.getOwnPropertyNames(current)) {
        texts.push(String((current as unknown as Record<string, unknown>)[key]));
      }
    }
    for (const secret of secrets) {
      for (const text of texts) {
        assert.ok(!text.includes(secret), `a secret leaked at depth ${depth}: ${text}`);
      }
    }
    current = current instanceof Error ? current.cause : undefined;
  }
}
