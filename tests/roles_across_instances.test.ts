/**
 * Current rights across instances, the way it is deployed: two gateways on
 * two loopback ports, each with its own client, sharing one real
 * redis-server, in front of one emulator; upstream calls counted at the
 * emulator. A demotion made through one instance is refused on the other
 * within 2 s; a permission removed elsewhere (the dashboard) within the role
 * cache's TTL.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { AuthLiteClient, redisStore } from "../mod.ts";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { createGateway } from "../src/gateway/mod.ts";
import { CookieJar } from "./_gateway_fixture.ts";
import { startRedis } from "./_redis_server.ts";
import { serve, type TestServer } from "./_serve.ts";

const SECRET = "session-secret-shared-by-every-instance-0123";
const ADMIN_KEY = "admin-key-of-every-instance-0123";

interface Cluster {
  emu: Emulator;
  /** The emulator's URL. */
  upstream: string;
  a: TestServer;
  b: TestServer;
  close(): Promise<void>;
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
async function signIn(cluster: Cluster, at: TestServer, email: string): Promise<CookieJar> {
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
function knock(at: TestServer, cookie: string): Promise<number> {
  return status(`${at.url}/admin/roles`, json(cookie, {}));
}

async function status(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, init);
  await res.body?.cancel();
  return res.status;
}

/**
 * Ask `probe` until it answers `want`, for at most `ms` milliseconds from
 * `since`; answers the number of tries. Fails past the deadline.
 */
async function until(
  probe: () => Promise<number>,
  want: number,
  since: number,
  ms: number,
): Promise<number> {
  for (let tries = 1;; tries++) {
    const got = await probe();
    if (got === want) return tries;
    if (performance.now() - since > ms) {
      assert.fail(`still ${got} after ${ms} ms (${tries} tries), expected ${want}`);
    }
  }
}

const json = (cookie: string, body: unknown): RequestInit => ({
  method: "POST",
  headers: { cookie, "content-type": "application/json" },
  body: JSON.stringify(body),
});

test("an admin demoted through instance A is refused on instance B within 2 s, and cannot take the role back", async () => {
  const cluster = await startCluster();
  const { emu, a, b } = cluster;
  try {
    const admins = emu.seedRole({ name: "admins", permissions: [{ admin: "true" }] });
    const user = emu.seedUser({ email: "root@example.com", roles: [admins.rol_id] });
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
});

test("a permission removed through instance A is refused on instance B within 2 s (shared generation, default TTL)", async () => {
  const cluster = await startCluster();
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
});

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
