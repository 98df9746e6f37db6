// Malformed and hostile input at every route of the gateway (each route of
// its OpenAPI document, plus the docs, the login form and unknown paths) and
// of the emulator, over real sockets: no 5xx, no crash (/health answers
// after), and no secret or token in any reply or in any console line.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { signApiKey } from "../mod.ts";
import { ADMIN_KEY, SERVICE_KEY, SESSION_SECRET, startGateway } from "./_gateway_fixture.ts";
import { serve } from "./_serve.ts";
import { EMULATOR_API_ROUTES } from "./_emulator_routes.ts";

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

const BODIES: Array<string | undefined> = [
  undefined,
  "",
  "{",
  "}",
  "null",
  "[]",
  "{}",
  "0",
  "-0",
  "1e999",
  '"\\ud800"',
  "\u0000\u0001\u007f",
  "\ufeff{}",
  deep(5000),
  deepObject(5000),
  '{"__proto__":{"admin":"true"},"constructor":{"prototype":{"x":1}}}',
  `{"accessToken":"${"a".repeat(60_000)}"}`,
  '{"accessToken":"\\u0000","refreshToken":"\\ud800","code":"x\\r\\nSet-Cookie: a=b"}',
  '{"uid":["a"],"rolIds":[1,{}],"permissions":[[["x"]]],"name":{"$gt":""}}',
  '{"roleId":"rol_x","permissionKey":"__proto__","key":"constructor","value":"toString"}',
  '{"all":"yes","state":true,"inplace":"1"}',
];

const VALUES = [
  "",
  " ",
  "%00",
  "%7F",
  "%FF",
  "%ED%A0%80",
  "%0D%0ASet-Cookie:%20x=y",
  "..%2F..%2Fetc%2Fpasswd",
  "%2F%2Fevil.example",
  "https://evil.example/",
  "javascript:alert(1)",
  "%3Cscript%3E",
  "%F0%9F%99%82",
  "x".repeat(9000),
  "True",
  "-1",
  "1e999",
];

const HEADERS: Array<Record<string, string>> = [
  {},
  { "content-type": "application/json; charset=utf-16" },
  { "content-type": "text/plain" },
  { "content-type": "application/x-www-form-urlencoded" },
  { "content-type": "multipart/form-data; boundary=x" },
  { "content-type": "application/json", "content-length": "99999999999" },
  { cookie: "authlite_access=; authlite_refresh=" },
  { cookie: `authlite_access=${"a".repeat(7000)}; authlite_profile=x.y.z` },
  { cookie: "authlite_access=%ZZ; authlite_login=a.b.c.d; authlite_profile=%E0%A4%A" },
  { cookie: 'authlite_access="quoted"; authlite_access=second' },
  { authorization: "Bearer" },
  { authorization: `Bearer ${"k".repeat(9000)}` },
  { "sec-fetch-site": "cross-site", referer: "javascript:1", origin: "null" },
  { "sec-fetch-site": "same-origin", origin: "http://evil.example" },
  { accept: "text/html", "x-forwarded-host": "evil.example", host: "evil.example" },
];

interface Captured {
  lines: string[];
  restore(): void;
}

/** Capture everything the process writes through `console`. */
function captureConsole(): Captured {
  const lines: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug", "trace"] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      lines.push(
        args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(" "),
      );
    };
  }
  return {
    lines,
    restore: () => methods.forEach((m, i) => (console[m] = saved[i] as typeof console.log)),
  };
}

let captured: Captured | undefined;
before(() => {
  captured = captureConsole();
});
after(() => {
  captured?.restore();
});

function leaks(text: string, secrets: readonly string[]): string | undefined {
  return secrets.find((s) => text.includes(s));
}

test("fuzz: every gateway route, hostile input, over a real socket: no 5xx, no leak, still alive", {
  timeout: 300_000,
}, async () => {
  const fx = await startGateway({ cookie: { secure: false } });
  const server = await serve((req) => fx.app.fetch(req));
  const next = random(10);
  try {
    // A real session whose tokens must never come back unasked.
    const s = fx.emu.session({ email: "fuzz@example.com" });
    const secrets = [
      DEMO_ORG.secretKey,
      DEMO_ORG.apiKey,
      await signApiKey(DEMO_ORG.apiKey, DEMO_ORG.secretKey),
      SERVICE_KEY,
      ADMIN_KEY,
      SESSION_SECRET,
      s.accessToken,
      s.refreshToken,
    ];
    const doc = await (await fetch(`${server.url}/openapi.json`)).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes: Array<[string, string]> = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) routes.push([method.toUpperCase(), path]);
    }
    assert.ok(routes.length >= 25, `only ${routes.length} routes in the document`);
    routes.push(
      ["POST", "/auth/login"],
      ["GET", "/docs"],
      ["GET", "/docs/{v}/{file}"],
      ["GET", "/openapi.json"],
      ["PUT", "/auth/me"],
      ["PATCH", "/rpc/getUser"],
      ["GET", "/{x}"],
    );
    let count = 0;
    for (const [method, template] of routes) {
      for (let round = 0; round < 14; round++) {
        const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
        const path = template.replace(/\{[^}]+\}/g, () => pick(VALUES) || "x");
        const query = ["redirect", "code", "ac", "error", "profile"]
          .filter(() => next() < 0.4)
          .map((name) => `${name}=${pick(VALUES)}`)
          .join("&");
        const headers: Record<string, string> = { ...pick(HEADERS) };
        const key = path.startsWith("/rpc")
          ? SERVICE_KEY
          : path.startsWith("/admin")
          ? ADMIN_KEY
          : "";
        if (key !== "" && next() < 0.7 && headers["authorization"] === undefined) {
          headers["authorization"] = `Bearer ${key}`;
        }
        if (next() < 0.3 && headers["cookie"] === undefined) {
          headers["cookie"] =
            `authlite_access=${s.accessToken}; authlite_refresh=${s.refreshToken}`;
        }
        if (headers["content-type"] === undefined && next() < 0.8) {
          headers["content-type"] = "application/json";
        }
        const body = method === "GET" || method === "HEAD" ? undefined : pick(BODIES);
        if (headers["content-length"] !== undefined && body === undefined) {
          delete headers["content-length"];
        }
        let res: Response;
        try {
          res = await fetch(`${server.url}${path}${query ? `?${query}` : ""}`, {
            method,
            headers,
            redirect: "manual",
            ...(body === undefined ? {} : { body }),
          });
        } catch (err) {
          // The client side refused to send it (an invalid header): nothing reached the server.
          if (err instanceof TypeError) continue;
          throw err;
        }
        const text = await res.text();
        count++;
        const what = `${method} ${path.slice(0, 80)} ${JSON.stringify(headers).slice(0, 200)} ${
          JSON.stringify(body)?.slice(0, 80)
        }`;
        assert.ok(res.status < 500, `${what}: ${res.status} ${text.slice(0, 300)}`);
        const visible = [
          text,
          ...[...res.headers].filter(([k]) => k !== "set-cookie").map(([k, v]) => `${k}: ${v}`),
        ]
          .join("\n");
        const leak = leaks(visible, secrets);
        assert.equal(leak, undefined, `${what} leaks a secret or token`);
        for (const [name, value] of res.headers) {
          assert.ok(/^[\x20-\x7e]*$/.test(value), `${what}: header ${name} is not printable ASCII`);
        }
      }
    }
    assert.ok(count > 300, `only ${count} requests reached the server`);
    const health = await fetch(`${server.url}/health`);
    assert.deepEqual(await health.json(), { ok: true });
    const logLeak = (captured?.lines ?? []).find((line) => leaks(line, secrets) !== undefined);
    assert.equal(logLeak, undefined, "a console line holds a secret or token");
  } finally {
    await server.close();
    await fx.close();
  }
});

test("fuzz: every emulator route, hostile input, over a real socket: no 5xx, still alive", {
  timeout: 300_000,
}, async () => {
  const emu = createEmulator({ control: true });
  const server = await serve(emu.fetch);
  const next = random(11);
  try {
    const routes: Array<readonly [string, string]> = [
      ...EMULATOR_API_ROUTES,
      ["GET", "/widget/login/"],
      ["POST", "/widget/login/"],
      ["GET", "/api/user/me/settings/"],
      ["POST", "/api/user/me/settings/"],
      ["POST", "/__emulator/users"],
      ["POST", "/__emulator/faults"],
      ["POST", "/__emulator/clock"],
      ["GET", "/__emulator/requests"],
      ["GET", "/{x}"],
    ];
    const params = [
      "code",
      "UserToken",
      "AccessToken",
      "RefreshToken",
      "Token",
      "org_id",
      "api_key",
      "signed_key",
      "url",
      "email",
    ];
    for (const [method, template] of routes) {
      for (let round = 0; round < 12; round++) {
        const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
        const path = template.replace(/\{[^}]+\}/g, () => pick(VALUES) || "x");
        const query = params.filter(() => next() < 0.5).map((p) => `${p}=${pick(VALUES)}`);
        if (next() < 0.5) query.push(`api_key=${DEMO_ORG.apiKey}`, `org_id=${DEMO_ORG.orgId}`);
        const body = method === "GET" ? undefined : pick(BODIES);
        const headers: Record<string, string> = {
          "content-type": pick([
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
          ]),
        };
        const res = await fetch(`${server.url}${path}?${query.join("&")}`, {
          method,
          headers,
          redirect: "manual",
          ...(body === undefined ? {} : { body }),
        });
        const text = await res.text();
        assert.ok(
          res.status < 500,
          `${method} ${path.slice(0, 60)} ${JSON.stringify(body)?.slice(0, 60)}: ${res.status} ${
            text.slice(0, 200)
          }`,
        );
        assert.ok(!text.includes(DEMO_ORG.secretKey), `${method} ${path} shows the secret key`);
      }
    }
    const alive = await fetch(`${server.url}/rbac/role`);
    assert.equal(alive.status, 401);
    await alive.text();
  } finally {
    await server.close();
  }
});
