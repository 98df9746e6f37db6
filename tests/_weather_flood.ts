/**
 * The flood scenario of issue 17, shared by `tests/flood_sessions.test.ts` and
 * `bench/fault_bench.ts`: one Bun gateway process (as configured by default: the README's
 * `bun src/runtime/bun.ts`), the emulator as the upstream with latency injected on every
 * call, a real user signed in from 127.0.0.1, and a flood of bogus sessions from 127.0.0.2:
 * distinct random cookie pairs (shaped as the emulator's tokens: signed JWTs, with a random
 * key) at `/auth/me`, `/auth/logout` and `/admin/roles`, and distinct random Bearer
 * credentials at `/admin/roles` and `/rpc/validateTokenSet`, a bounded number of requests
 * at a bounded concurrency.
 *
 * Measured: the upstream calls the flood caused (at the emulator), the real user's
 * `/auth/me` before and during the flood (statuses, latency), how far the flood had got when
 * the user's requests were answered (a count, not a clock), and the gateway's RSS.
 *
 * @module
 */
import { signJwt } from "../src/emulator/jwt.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import {
  gatewayEnv,
  mib,
  PeerClient,
  percentiles,
  serveEmulator,
  signIn,
  startGateway,
} from "./_weather.ts";

/** Settings of a flood. */
export interface FloodSettings {
  /** Flood requests in all. */
  requests: number;
  /** Flood requests in flight at once. */
  concurrency: number;
  /** Upstream latency injected on every call. */
  latencyMs: number;
  /** The real user's requests, unloaded and again during the flood. */
  userRequests: number;
  /** A request not answered after this long counts as failed (a bound for progress). */
  requestTimeoutMs: number;
  /** Extra environment of the gateway (default none: its defaults). */
  env?: Record<string, string>;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The routes flooded, with their share of the flood. */
export const FLOOD_ROUTES = [
  { name: "GET /auth/me (cookies)", share: 3 },
  { name: "POST /auth/logout (cookies)", share: 2 },
  { name: "GET /admin/roles (cookies)", share: 3 },
  { name: "GET /admin/roles (Bearer)", share: 1 },
  { name: "POST /rpc/validateTokenSet (Bearer)", share: 1 },
] as const;

/** What a flood measured. */
export interface FloodReport {
  /** The settings. */
  settings: Omit<FloodSettings, "log">;
  /** Flood requests sent and answered, by route and status (0: failed connection). */
  flood: Record<string, Record<string, number>>;
  /** Upstream calls during the flood (the real user's included: none while cached). */
  upstreamCalls: number;
  /** Upstream calls per flood request. */
  upstreamPerRequest: number;
  /** The real user's `/auth/me`, unloaded: statuses and latency (ms). */
  unloaded: { statuses: Record<string, number>; ms: Record<string, number | null> };
  /**
   * The same during the flood, one request each time another 1/(2 × userRequests) of the
   * flood is done; `answered`: how many were answered before the flood was over.
   */
  loaded: {
    statuses: Record<string, number>;
    ms: Record<string, number | null>;
    answered: number;
    /** Flood requests completed when the user's last request was answered. */
    floodDoneAtLastAnswer: number;
  };
  /** Median latency under the flood over unloaded. */
  latencyRatio: number | null;
  /** The gateway's RSS (MiB): before the flood, its peak during it, after it. */
  rssMiB: { before: number | null; peak: number | null; after: number | null };
  /** The flood's duration (ms), reported only. */
  floodMs: number;
}

const b64 = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** A token shaped like the emulator's, signed with a key nobody has. */
function bogusToken(type: "access" | "refresh"): string {
  const now = Math.floor(Date.now() / 1000);
  const id = () => b64(crypto.getRandomValues(new Uint8Array(12)));
  return signJwt(
    { sub: `uid_${id()}`, type, iat: now, exp: now + 3600, jti: id(), org_id: DEMO_ORG.orgId },
    `bogus-${id()}`,
  );
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/**
 * Run a flood and measure it.
 *
 * @param settings sizes
 * @returns what was measured
 */
export async function runFloodScenario(settings: FloodSettings): Promise<FloodReport> {
  const { log: logger, ...shown } = settings;
  const log = logger ?? (() => {});
  const emu = await serveEmulator(3600);
  const user = new PeerClient("127.0.0.1");
  const flooder = new PeerClient("127.0.0.2", settings.concurrency);
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    emu.emulator.seedRole({ name: "staff", permissions: [{ admin: "true" }], rolId: "rol_staff" });
    emu.emulator.seedUser({ email: "real@example.com", roles: ["rol_staff"] });
    gateway = await startGateway(gatewayEnv(emu.url, settings.env));
    const gw = gateway;
    const signed = await signIn(user, gw.url, emu.emulator, "real@example.com");
    if (!("jar" in signed)) {
      throw new Error(`the real user could not sign in: ${signed.failed.status}`);
    }
    const cookie = signed.jar.header();
    const me = async (): Promise<{ status: number; ms: number }> => {
      const t = performance.now();
      const r = await user.request(`${gw.url}/auth/me`, {
        headers: { cookie },
        timeoutMs: settings.requestTimeoutMs,
      });
      return { status: r.status, ms: performance.now() - t };
    };
    // The upstream is slow from now on, for the user's unloaded requests too.
    await emu.control("POST", "/faults", {
      kind: "latency",
      latency_ms: settings.latencyMs,
      duration_ms: 3_600_000,
    });
    const first = await me(); // the first read after sign-in may go upstream: not measured
    if (first.status !== 200) throw new Error(`the real user's /auth/me: ${first.status}`);
    const unloaded = { statuses: {} as Record<string, number>, ms: [] as number[] };
    for (let i = 0; i < settings.userRequests; i++) {
      const r = await me();
      bump(unloaded.statuses, String(r.status));
      unloaded.ms.push(r.ms);
    }

    await emu.control("DELETE", "/requests");
    const before = gw.rss();
    let peak = before ?? 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, gw.rss() ?? 0);
    }, 100);

    // --- the flood
    const weights = FLOOD_ROUTES.flatMap((r, i) => Array<number>(r.share).fill(i));
    const flood: Record<string, Record<string, number>> = {};
    let next = 0;
    let done = 0;
    const origin = gw.url;
    const send = async (i: number): Promise<void> => {
      const route = FLOOD_ROUTES[weights[i % weights.length]!]!.name;
      const cookies = `authlite_access=${bogusToken("access")}; authlite_refresh=${
        bogusToken("refresh")
      }`;
      const bearer = `Bearer ${bogusToken("access")}`;
      const r = route === "GET /auth/me (cookies)"
        ? await flooder.request(`${gw.url}/auth/me`, { headers: { cookie: cookies } })
        : route === "POST /auth/logout (cookies)"
        ? await flooder.request(`${gw.url}/auth/logout`, {
          method: "POST",
          // What a browser on the gateway's own origin sends: the flood is a script, and
          // passes any same-origin check a browser would.
          headers: {
            cookie: cookies,
            origin,
            "sec-fetch-site": "same-origin",
            "content-type": "application/json",
          },
          body: "{}",
        })
        : route === "GET /admin/roles (cookies)"
        ? await flooder.request(`${gw.url}/admin/roles`, { headers: { cookie: cookies } })
        : route === "GET /admin/roles (Bearer)"
        ? await flooder.request(`${gw.url}/admin/roles`, { headers: { authorization: bearer } })
        : await flooder.request(`${gw.url}/rpc/validateTokenSet`, {
          method: "POST",
          headers: { authorization: bearer, "content-type": "application/json" },
          body: JSON.stringify({ accessToken: bogusToken("access") }),
        });
      flood[route] ??= {};
      bump(flood[route], String(r.status));
      done++;
    };
    const t0 = performance.now();
    const workers = Array.from({ length: settings.concurrency }, async () => {
      for (let i = next++; i < settings.requests; i = next++) await send(i);
    });
    let floodOver = false;
    const floodDone = Promise.all(workers).then(() => {
      floodOver = true;
    });

    // --- the real user, one request each time the flood has gone a step further, over its
    // first half: each must be answered before the flood is over (a count, not a clock).
    const loaded = { statuses: {} as Record<string, number>, ms: [] as number[] };
    let answered = 0;
    let floodDoneAtLastAnswer = 0;
    const step = settings.requests / 2 / settings.userRequests;
    for (let i = 0; i < settings.userRequests && !floodOver; i++) {
      while (done < (i + 1) * step && !floodOver) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const r = await me();
      bump(loaded.statuses, String(r.status));
      loaded.ms.push(r.ms);
      if (!floodOver) {
        answered++;
        floodDoneAtLastAnswer = done;
      }
    }
    await floodDone;
    const floodMs = performance.now() - t0;
    clearInterval(sampler);
    const upstreamCalls = emu.calls();
    await emu.control("DELETE", "/faults");
    log(`flood of ${settings.requests} done in ${Math.round(floodMs)} ms`);

    const p = (v: number[]) => percentiles(v, [50, 90, 99]);
    const median = (v: number[]) => percentiles(v, [50]).p50;
    const m0 = median(unloaded.ms) ?? null;
    const m1 = median(loaded.ms) ?? null;
    return {
      settings: shown,
      flood,
      upstreamCalls,
      upstreamPerRequest: Math.round((upstreamCalls / settings.requests) * 1000) / 1000,
      unloaded: { statuses: unloaded.statuses, ms: p(unloaded.ms) },
      loaded: { statuses: loaded.statuses, ms: p(loaded.ms), answered, floodDoneAtLastAnswer },
      latencyRatio: m0 === null || m1 === null || m0 === 0 ? null : Math.round((m1 / m0) * 10) / 10,
      rssMiB: { before: mib(before), peak: mib(peak), after: mib(gw.rss()) },
      floodMs: Math.round(floodMs),
    };
  } finally {
    user.close();
    flooder.close();
    await gateway?.stop();
    await emu.close();
  }
}
