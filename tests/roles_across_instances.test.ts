/**
 * Current rights across instances, the way it is deployed: two gateways on
 * two loopback ports, each with its own client, sharing one store, in front
 * of one emulator; upstream calls counted at the emulator. The instances are
 * two apps of this process sharing a real redis-server, two Bun processes
 * (`src/runtime/bun.ts`) sharing a redis-server, and two Deno processes
 * (`src/runtime/deno.ts`) sharing one Deno KV file. A demotion made through
 * one instance is refused on the other within 2 s; a permission removed
 * through one instance too; one removed elsewhere (the dashboard) within the
 * role cache's TTL.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import { AuthLiteClient, redisStore } from "../mod.ts";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { createGateway } from "../src/gateway/mod.ts";
import { CookieJar } from "./_gateway_fixture.ts";
import { startRedis } from "./_redis_server.ts";
import { serve } from "./_serve.ts";

const SECRET = "session-secret-shared-by-every-instance-0123";
const ADMIN_KEY = "admin-key-of-every-instance-0123";

/** An instance of the gateway: where it listens. */
interface Instance {
  url: string;
}

interface Cluster {
  emu: Emulator;
  /** The emulator's URL. */
  upstream: string;
  a: Instance;
  b: Instance;
  close(): Promise<void>;
}

const root = fileURLToPath(new URL("..", import.meta.url));

/** Start one runtime entry as a process of its own; answers when it listens. */
async function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<Instance & { close(): Promise<void> }> {
  const child = spawn(`${root}node_modules/.bin/${command}`, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /authlite gateway on (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code) => reject(new Error(`${command} exited (${code}):\n${output}`)));
  });
  return {
    url,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Two runtime processes of `kind` sharing one store, and the emulator in this process. */
async function startProcesses(kind: "bun" | "deno"): Promise<Cluster> {
  const emu = createEmulator({ control: true });
  const upstream = await serve(emu.fetch);
  const env: Record<string, string> = {
    TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
    TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
    TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
    TRUSTAUTHX_BASE_URL: upstream.url,
    TRUSTAUTHX_WIDGET_URL: upstream.url,
    // Every request comes from 127.0.0.1: the default /auth/* limit is for real clients.
    AUTH_RATE_LIMIT_PER_MINUTE: "off",
    ADMIN_KEY,
    SESSION_SECRET: SECRET,
    HOST: "127.0.0.1",
    PORT: "0",
  };
  let cleanup: () => Promise<void>;
  let start: () => ReturnType<typeof startProcess>;
  if (kind === "bun") {
    const redis = await startRedis();
    env["REDIS_URL"] = redis.url;
    cleanup = () => redis.close();
    start = () => startProcess("bun", ["src/runtime/bun.ts"], env);
  } else {
    const dir = mkdtempSync(join(tmpdir(), "authlite-kv-"));
    env["DENO_KV_PATH"] = join(dir, "kv.sqlite");
    cleanup = () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
    start = () => startProcess("deno", ["run", "-A", "--no-check", "src/runtime/deno.ts"], env);
  }
  const a = await start();
  const b = await start();
  return {
    emu,
    upstream: upstream.url,
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      await cleanup();
      await upstream.close();
    },
  };
}

async function startCluster(roleCacheTtlSeconds?: number): Promise<Cluster> {
  const emu = createEmulator({ control: true });
  const upstream = await serve(emu.fetch);
  const redis = await startRedis();
  const connections: Array<{ quit(): Promise<unknown> }> = [];
  const instance = async () => {
    const connection = createClient({ url: redis.url });
    await connection.connect();
    connections.push(connection);
    const client = new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      baseUrl: upstream.url,
      widgetUrl: upstream.url,
      tokenCache: redisStore(connection),
      retries: 0,
      ...(roleCacheTtlSeconds === undefined ? {} : { roleCacheTtlSeconds }),
    });
    return await serve(
      createGateway({ client, sessionSecret: SECRET, adminKey: ADMIN_KEY }).fetch,
    );
  };
  const a = await instance();
  const b = await instance();
  return {
    emu,
    upstream: upstream.url,
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      for (const c of connections) await c.quit();
      await redis.close();
      await upstream.close();
    },
  };
}

/** Sign in through instance `at`'s routes. */
async function signIn(cluster: Cluster, at: Instance, email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  jar.take(await fetch(`${at.url}/auth/login`, { redirect: "manual" }));
  const code = cluster.emu.mintCode({ email });
  jar.take(
    await fetch(`${at.url}/auth/callback?code=${code}`, {
      headers: { cookie: jar.header() },
      redirect: "manual",
    }),
  );
  assert.ok(jar.get("authlite_profile"), "signed in");
  return jar;
}

/**
 * Knock at the admin guard without reloading the role cache (the list route
 * would reload it): an empty body is admitted (400) or refused (403).
 */
function knock(at: Instance, cookie: string): Promise<number> {
  return status(`${at.url}/admin/roles`, json(cookie, {}));
}

async function status(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, init);
  await res.body?.cancel();
  return res.status;
}

/**
 * Ask `probe` until it answers `want`. Fails when a probe sent more than `ms`
 * milliseconds after `since` still gets another answer: the bound is on when
 * a request starts, so a slow machine does not fail a correct instance.
 */
async function until(
  probe: () => Promise<number>,
  want: number,
  since: number,
  ms: number,
): Promise<number> {
  for (let tries = 1;; tries++) {
    const sent = performance.now();
    const got = await probe();
    if (got === want) return tries;
    if (sent - since > ms) {
      assert.fail(`still ${got} for a request sent after ${ms} ms (${tries} tries)`);
    }
  }
}

const json = (cookie: string, body: unknown): RequestInit => ({
  method: "POST",
  headers: { cookie, "content-type": "application/json" },
  body: JSON.stringify(body),
});

async function demotion(cluster: Cluster): Promise<void> {
  const { emu, a, b } = cluster;
  try {
    const admins = emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
    const user = emu.seedUser({ email: "root@example.com", roles: [admins.rol_id] });
    // The role was made in the dashboard after the gateways started (the runtimes'
    // start-up check read the roles then): each learns of it as it would within the
    // role cache's TTL, here at once, by listing the roles with the admin key.
    for (const at of [a, b]) {
      const auth = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };
      assert.equal(await status(`${at.url}/admin/roles`, auth), 200);
    }
    const jar = await signIn(cluster, a, "root@example.com");
    const oldCookies = jar.header();
    // Both instances know the session and its roles.
    assert.equal(await status(`${a.url}/admin/roles`, { headers: { cookie: oldCookies } }), 200);
    assert.equal(await status(`${b.url}/admin/roles`, { headers: { cookie: oldCookies } }), 200);
    emu.resetRequests();
    assert.equal(await status(`${b.url}/admin/roles`, { headers: { cookie: oldCookies } }), 200);
    assert.equal(emu.requests().byPath["/api/user/me/data"], undefined, "roles from the cookie");

    // Demoted through instance A's admin route.
    const taken = await fetch(`${a.url}/admin/users/${user.uid}/roles`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ remove: [admins.rol_id] }),
    });
    assert.equal(taken.status, 200);
    await taken.body?.cancel();
    const since = performance.now();
    emu.resetRequests();

    // Refused on B within 2 s, with the cookies of before (the old signed roles).
    await until(
      () => knock(b, oldCookies),
      403,
      since,
      2000,
    );
    // B read the roles again once, from upstream, rather than on every request.
    assert.ok((emu.requests().byPath["/api/user/me/data"] ?? 0) <= 2, "a bounded re-read");
    // And at once on A, which made the change.
    assert.equal(await knock(a, oldCookies), 403);

    // The old roles are good for nothing: not even to give the role back.
    for (const at of [a, b]) {
      const back = await status(
        `${at.url}/admin/users/${user.uid}/roles`,
        json(oldCookies, { add: [admins.rol_id] }),
      );
      assert.equal(back, 403);
    }
    assert.deepEqual(emu.seedUser({ email: "root@example.com" }).roles, []);
  } finally {
    await cluster.close();
  }
}

async function permissionRemoved(cluster: Cluster): Promise<void> {
  const { emu, a, b } = cluster;
  try {
    const admins = emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
    emu.seedUser({ email: "ops@example.com", roles: [admins.rol_id] });
    const jar = await signIn(cluster, b, "ops@example.com");
    const cookie = jar.header();
    assert.equal(await knock(b, cookie), 400);
    emu.resetRequests();
    assert.equal(await knock(b, cookie), 400);
    assert.equal(emu.requests().total, 0, "roles and session from the caches");

    const removed = await fetch(`${a.url}/admin/roles/${admins.rol_id}/permissions`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ permissions: { admin: "true" } }),
    });
    assert.equal(removed.status, 200);
    await removed.body?.cancel();
    const since = performance.now();
    await until(() => knock(b, cookie), 403, since, 2000);
  } finally {
    await cluster.close();
  }
}

test("an admin demoted through instance A is refused on instance B within 2 s, and cannot take the role back", async () => {
  await demotion(await startCluster());
});

test("a permission removed through instance A is refused on instance B within 2 s (shared generation, default TTL)", async () => {
  await permissionRemoved(await startCluster());
});

for (const kind of ["bun", "deno"] as const) {
  const store = kind === "bun" ? "Redis" : "one Deno KV file";
  test(`two ${kind} processes sharing ${store}: a demotion through A is refused on B within 2 s`, async () => {
    await demotion(await startProcesses(kind));
  });
  test(`two ${kind} processes sharing ${store}: a permission removed through A is refused on B within 2 s`, async () => {
    await permissionRemoved(await startProcesses(kind));
  });
}

test("a permission removed in the dashboard (elsewhere) is seen within the role cache's TTL", async () => {
  const ttlSeconds = 1;
  const cluster = await startCluster(ttlSeconds);
  const { emu, a, b } = cluster;
  try {
    const editors = emu.seedRole({ name: "editors", permissions: [{ admin: "true" }] });
    emu.seedUser({ email: "eve@example.com", roles: [editors.rol_id] });
    const jar = await signIn(cluster, a, "eve@example.com");
    const cookie = jar.header();
    for (const at of [a, b]) assert.equal(await knock(at, cookie), 400);

    // The dashboard: another client, sharing no store with the instances.
    // The number of roles does not change, so X-EDGE says nothing.
    const dashboard = new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      baseUrl: cluster.upstream,
    });
    await dashboard.roles.deletePermission(editors.rol_id, { admin: "true" });
    const since = performance.now();
    for (const at of [b, a]) {
      await until(
        () => knock(at, cookie),
        403,
        since,
        ttlSeconds * 1000 + 1000,
      );
    }
  } finally {
    await cluster.close();
  }
});
