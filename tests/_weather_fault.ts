/**
 * The fault scenario of issue 17, shared by `tests/fault_gateways.test.ts` (short form) and
 * `bench/fault_bench.ts` (long form): two Bun gateway processes sharing a real redis-server,
 * the emulator as the upstream with short-lived access tokens (so sessions refresh during
 * every fault), signed-in browsers (cookie jars: `/auth/me` and the permission-checked
 * `/admin/roles`, each tick one to A and one to B at once, as two tabs behind a load
 * balancer) and services (`POST /rpc/validateTokenSet` with the service key, the same pair
 * to A and B at once, as two workers), each from a loopback address of its own, under
 * paced load. Faults are injected one at a time; after each, the load goes on until every
 * client's good ticks (every reply good) have lasted an access-token lifetime and a second
 * in a row (so each session has been refreshed since: an open breaker or a store not yet
 * back would show), which closes the fault's window; then a calm interval.
 *
 * Counted at the browsers and services: sessions lost (a 401 or cleared session cookies:
 * nothing in the run ends a session, so every one is a loss), 5xx outside the fault
 * windows, 5xx inside them other than 503 with Retry-After, failed connections outside
 * them; at the emulator: refresh tokens presented more than once; at the gateways: RSS.
 * Recovery time is measured and reported, never asserted.
 *
 * @module
 */
import {
  gatewayEnv,
  type GatewayProcess,
  type Jar,
  mib,
  PeerClient,
  percentiles,
  RedisProcess,
  type Reply,
  type ServedEmulator,
  serveEmulator,
  SERVICE_KEY,
  SESSION_COOKIES,
  signIn,
  startGateway,
} from "./_weather.ts";

/** The faults, in the order they are injected. */
export const FAULTS = [
  "upstream latency",
  "upstream 503 burst",
  "upstream connection resets",
  "upstream 429 with Retry-After",
  "redis stopped and started",
  "gateway A killed and restarted",
] as const;

/** One of {@linkcode FAULTS}. */
export type FaultName = typeof FAULTS[number];

/** Settings of a run. */
export interface FaultSettings {
  /** Signed-in browsers. */
  browsers: number;
  /** Services. */
  services: number;
  /** Each client's tick (two requests per tick). */
  tickMs: number;
  /** The emulator's access-token lifetime. */
  accessTtlSeconds: number;
  /** How long each upstream fault lasts. */
  holdMs: number;
  /** The upstream latency of the latency fault. */
  latencyMs: number;
  /** How long redis is down. */
  redisDownMs: number;
  /** How long gateway A is down. */
  gatewayDownMs: number;
  /** Load without faults before the first fault and after each window. */
  calmMs: number;
  /** Give up waiting for a recovery after this long (a bound for progress, not a check). */
  recoveryBoundMs: number;
  /** A request not answered after this long counts as failed (a bound for progress). */
  requestTimeoutMs: number;
  /** The faults to inject (default all, in order). */
  faults?: readonly FaultName[];
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What one fault window measured. */
export interface WindowReport {
  /** The fault. */
  name: FaultName;
  /**
   * Recovery time: from the end of the fault until the last client's final run of good
   * ticks began (0: none failed after the end); null: some client never settled.
   */
  recoveredAfterMs: number | null;
  /** From the end of the fault until the window closed (every client settled). */
  settledAfterMs: number | null;
  /** From the end of the fault until the last failed reply (0: none after the end). */
  lastFailureMs: number;
  /** Upstream calls from the start of the fault to its recovery. */
  upstreamCalls: number;
  /**
   * Replies in the window: good, 503 with Retry-After, other 5xx, failed connections, and
   * the others by status (a 429 here is the upstream's, passed on: the gateways' own limits
   * are far above a client's pace).
   */
  replies: {
    ok: number;
    unavailable: number;
    other5xx: number;
    failed: number;
    others: Record<string, number>;
  };
  /** Sessions lost in the window. */
  lost: number;
}

/** What a run measured. */
export interface FaultReport {
  /** The settings. */
  settings: Omit<FaultSettings, "log">;
  /** Requests sent (sign-ins included). */
  requests: number;
  /** Sessions lost: browsers (401 or cleared cookies) and services (401). */
  lost: { total: number; browsers: number; services: number; examples: string[] };
  /** Refresh tokens presented to the emulator, and those presented more than once. */
  refreshes: { presented: number; tokens: number; reused: number; most: number };
  /** 5xx replies outside every fault window, by status. */
  outside5xx: Record<string, number>;
  /**
   * The first few of them: route, gateway, status, Retry-After, when (ms after the last
   * window's recovery, or before the first fault) and the start of the body.
   */
  outside5xxExamples: string[];
  /** 5xx replies inside a window that are not 503 with Retry-After, by status. */
  inside5xxOther: Record<string, number>;
  /** 503 with Retry-After inside a window (allowed). */
  inside503: number;
  /** Failed connections and timeouts outside every window, by reason. */
  outsideFailed: Record<string, number>;
  /** 429 replies of the gateways (rate limited), anywhere. */
  rateLimited: number;
  /** Each fault. */
  windows: WindowReport[];
  /** RSS of A and B in MiB: after sign-in, after each fault, at the end. */
  rssMiB: { A: Array<number | null>; B: Array<number | null> };
  /** Latency (ms) of good replies outside the windows. */
  latencyOutsideMs: Record<string, Record<string, number | null>>;
  /** Upstream calls in the whole run. */
  upstreamCalls: number;
  /** Whether the run itself went through (every fault injected and recovered). */
  complete: boolean;
}

interface Sample {
  kind: "me" | "admin" | "rpc" | "login";
  /** The gateway asked. */
  gateway: "A" | "B";
  /** The start of a 5xx reply's body. */
  body?: string;
  sent: number;
  /** `Date.now()` when it was sent (to find the gateways' log lines of a 5xx). */
  sentAt: number;
  got: number;
  status: number;
  retryAfter: boolean;
  error: string | undefined;
}

interface Loss {
  at: number;
  who: string;
  why: string;
}

interface Tick {
  started: number;
  ok: boolean;
}

interface Client {
  name: string;
  peer: PeerClient;
  ticks: Tick[];
  /** When its current run of good ticks began (undefined: its last tick failed). */
  goodSince: number | undefined;
}

interface Browser extends Client {
  index: number;
  email: string;
  jar: Jar | undefined;
}

interface Service extends Client {
  email: string;
  access: string;
  refresh: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether a client's good ticks since `t` have lasted `settleMs` (two ticks at least).
 *
 * @returns when its run of good ticks (counted from `t` on) began, or undefined
 */
function settledSince(c: Client, t: number, settleMs: number, now: number): number | undefined {
  if (c.goodSince === undefined) return undefined;
  const since = Math.max(c.goodSince, t);
  const ticks = c.ticks.filter((k) => k.started >= since).length;
  return ticks >= 2 && now - since >= settleMs ? since : undefined;
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/**
 * Run the scenario and measure it.
 *
 * @param settings sizes and durations
 * @returns what was measured
 */
export async function runFaultScenario(settings: FaultSettings): Promise<FaultReport> {
  const log = settings.log ?? (() => {});
  const faults = settings.faults ?? FAULTS;
  const now = () => performance.now();
  const samples: Sample[] = [];
  const losses: Loss[] = [];
  const windows: Array<{ name: FaultName; start: number; end: number; recovered: number }> = [];
  const windowReports: WindowReport[] = [];
  const rss: { A: Array<number | null>; B: Array<number | null> } = { A: [], B: [] };

  let emu: ServedEmulator | undefined;
  let redis: RedisProcess | undefined;
  const gw: { A?: GatewayProcess; B?: GatewayProcess } = {};
  const clients: Client[] = [];
  /** The gateways' log lines (A's of before its restart too), for a 5xx's explanation. */
  const earlierLogs: LogLine[] = [];
  let stopping = false;
  let complete = false;
  const loops: Promise<void>[] = [];

  try {
    emu = await serveEmulator(settings.accessTtlSeconds);
    const emulator = emu.emulator;
    emulator.seedRole({ name: "staff", permissions: [{ admin: "true" }], rolId: "rol_staff" });
    redis = await RedisProcess.start();
    // Defaults for everything else (rate limits included): each client is its own peer.
    const env = gatewayEnv(emu.url, { REDIS_URL: redis.url });
    [gw.A, gw.B] = await Promise.all([startGateway(env), startGateway(env)]);
    const portA = gw.A.port;
    const urlOf = (which: "A" | "B"): string =>
      which === "A" ? `http://127.0.0.1:${portA}` : gw.B!.url;
    const sampleRss = () => {
      rss.A.push(mib(gw.A?.rss()));
      rss.B.push(mib(gw.B?.rss()));
    };

    const record = (kind: Sample["kind"], which: "A" | "B", sent: number, r: Reply): void => {
      samples.push({
        kind,
        gateway: which,
        ...(r.status >= 500 ? { body: r.body.slice(0, 200) } : {}),
        sent,
        sentAt: Date.now() - (now() - sent),
        got: now(),
        status: r.status,
        retryAfter: r.retryAfter !== undefined,
        error: r.error,
      });
    };

    // --- the clients, signed in before the load starts
    const browsers: Browser[] = [];
    for (let i = 0; i < settings.browsers; i++) {
      const email = `browser-${i}@example.com`;
      emulator.seedUser({ email, roles: ["rol_staff"] });
      browsers.push({
        name: `browser ${i}`,
        index: i,
        email,
        peer: new PeerClient(`127.0.${10 + Math.floor(i / 200)}.${1 + (i % 200)}`),
        ticks: [],
        goodSince: undefined,
        jar: undefined,
      });
    }
    const services: Service[] = [];
    for (let i = 0; i < settings.services; i++) {
      const email = `service-user-${i}@example.com`;
      const s = emulator.session({ email });
      services.push({
        name: `service ${i}`,
        email,
        peer: new PeerClient(`127.0.9.${1 + i}`),
        ticks: [],
        goodSince: undefined,
        access: s.accessToken,
        refresh: s.refreshToken,
      });
    }
    clients.push(...browsers, ...services);

    const signInBrowser = async (b: Browser, which: "A" | "B"): Promise<boolean> => {
      const sent = now();
      const r = await signIn(b.peer, urlOf(which), emulator, b.email);
      if ("jar" in r) {
        record("login", which, sent, {
          status: 302,
          retryAfter: undefined,
          setCookies: [],
          body: "",
        });
        b.jar = r.jar;
        return true;
      }
      record("login", which, sent, r.failed);
      return false;
    };
    await Promise.all(browsers.map((b, i) => signInBrowser(b, i % 2 === 0 ? "A" : "B")));
    if (browsers.some((b) => b.jar === undefined)) throw new Error("a browser could not sign in");
    await emu.control("DELETE", "/requests");
    sampleRss();
    log(`signed in ${browsers.length} browsers; ${services.length} services`);

    // --- the load
    const browserTick = async (b: Browser, n: number): Promise<boolean> => {
      const first: "A" | "B" = (n + b.index) % 2 === 0 ? "A" : "B";
      const second: "A" | "B" = first === "A" ? "B" : "A";
      if (b.jar === undefined) return await signInBrowser(b, first);
      const jar = b.jar;
      const cookie = jar.header();
      let lost: string | undefined;
      const call = async (which: "A" | "B", path: string, kind: Sample["kind"]) => {
        const sent = now();
        const r = await b.peer.request(`${urlOf(which)}${path}`, {
          headers: { cookie },
          timeoutMs: settings.requestTimeoutMs,
        });
        record(kind, which, sent, r);
        const cleared = jar.take(r.setCookies).filter((c) => SESSION_COOKIES.includes(c));
        if (r.status === 401) lost ??= `401 on ${which} ${path}: ${r.body.slice(0, 160)}`;
        else if (cleared.length > 0) {
          lost ??= `${r.status} on ${which} ${path} cleared ${cleared.join(", ")}`;
        }
        return r.status === 200;
      };
      const ok = await Promise.all([
        call(first, "/auth/me", "me"),
        call(second, "/admin/roles", "admin"),
      ]);
      if (lost !== undefined) {
        losses.push({ at: now(), who: b.name, why: lost });
        b.jar = undefined; // signs in again at its next tick
        return false;
      }
      return ok.every(Boolean);
    };

    const serviceTick = async (s: Service): Promise<boolean> => {
      const body = JSON.stringify({ accessToken: s.access, refreshToken: s.refresh });
      let lost: string | undefined;
      const call = async (which: "A" | "B") => {
        const sent = now();
        const r = await s.peer.request(`${urlOf(which)}/rpc/validateTokenSet`, {
          method: "POST",
          headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
          body,
          timeoutMs: settings.requestTimeoutMs,
        });
        record("rpc", which, sent, r);
        if (r.status === 401) lost ??= `401 on ${which}: ${r.body.slice(0, 160)}`;
        if (r.status === 200) {
          const check = JSON.parse(r.body) as { state: boolean; access: string; refresh: string };
          if (!check.state) {
            s.access = check.access;
            s.refresh = check.refresh;
          }
        }
        return r.status === 200;
      };
      const ok = await Promise.all([call("A"), call("B")]);
      if (lost !== undefined) {
        losses.push({ at: now(), who: s.name, why: lost });
        const fresh = emulator.session({ email: s.email });
        s.access = fresh.accessToken;
        s.refresh = fresh.refreshToken;
        return false;
      }
      return ok.every(Boolean);
    };

    const loop = async (c: Client, tick: (n: number) => Promise<boolean>) => {
      await sleep(Math.random() * settings.tickMs);
      for (let n = 0; !stopping; n++) {
        const started = now();
        const ok = await tick(n);
        c.ticks.push({ started, ok });
        if (c.ticks.length > 64) c.ticks.shift();
        c.goodSince = ok ? (c.goodSince ?? started) : undefined;
        const wait = settings.tickMs - (now() - started);
        if (wait > 0 && !stopping) await sleep(wait * (0.8 + Math.random() * 0.4));
      }
    };
    for (const b of browsers) loops.push(loop(b, (n) => browserTick(b, n)));
    for (const s of services) loops.push(loop(s, () => serviceTick(s)));

    await sleep(settings.calmMs);

    // --- the faults, one at a time
    const upstreamFault = (fault: Record<string, unknown>) => async () => {
      await emu!.control("POST", "/faults", { ...fault, duration_ms: settings.holdMs });
      await sleep(settings.holdMs);
      await emu!.control("DELETE", "/faults");
    };
    const inject: Record<FaultName, () => Promise<void>> = {
      "upstream latency": upstreamFault({ kind: "latency", latency_ms: settings.latencyMs }),
      "upstream 503 burst": upstreamFault({ kind: "status", status: 503, retry_after: 1 }),
      "upstream connection resets": upstreamFault({ kind: "reset" }),
      "upstream 429 with Retry-After": upstreamFault({
        kind: "status",
        status: 429,
        retry_after: 2,
      }),
      "redis stopped and started": async () => {
        await redis!.halt();
        await sleep(settings.redisDownMs);
        await redis!.resume();
      },
      "gateway A killed and restarted": async () => {
        await gw.A!.kill();
        earlierLogs.push(...logLines("A", gw.A!.output()));
        await sleep(settings.gatewayDownMs);
        gw.A = await startGateway(env, portA);
      },
    };

    for (const name of faults) {
      const callsBefore = emu.calls();
      const start = now();
      log(`fault: ${name}`);
      await inject[name]();
      const end = now();
      const settleMs = settings.accessTtlSeconds * 1000 + 1000;
      const settled = () => clients.map((c) => settledSince(c, end, settleMs, now()));
      let since = settled();
      while (now() - end < settings.recoveryBoundMs && since.includes(undefined)) {
        await sleep(50);
        since = settled();
      }
      const recovered = !since.includes(undefined);
      const w = { name, start, end, recovered: now() };
      windows.push(w);
      const inside = samples.filter((s) => s.got >= start && s.sent <= w.recovered);
      const failedAfterEnd = inside.filter((s) => s.got > end && !isGood(s));
      const others: Record<string, number> = {};
      for (const s of inside) {
        if (!isGood(s) && s.status > 0 && s.status < 500) bump(others, `${s.kind} ${s.status}`);
      }
      windowReports.push({
        name,
        recoveredAfterMs: recovered
          ? Math.round(Math.max(0, ...since.map((t) => (t ?? end) - end)))
          : null,
        settledAfterMs: recovered ? Math.round(w.recovered - end) : null,
        lastFailureMs: Math.round(Math.max(0, ...failedAfterEnd.map((s) => s.got - end))),
        upstreamCalls: emu.calls() - callsBefore,
        replies: {
          ok: inside.filter(isGood).length,
          unavailable: inside.filter((s) => s.status === 503 && s.retryAfter).length,
          other5xx: inside.filter((s) => s.status >= 500 && !(s.status === 503 && s.retryAfter))
            .length,
          failed: inside.filter((s) => s.status === 0).length,
          others,
        },
        lost: losses.filter((l) => l.at >= start && l.at <= w.recovered).length,
      });
      sampleRss();
      log(`  recovered: ${JSON.stringify(windowReports.at(-1))}`);
      if (!recovered) break;
      await sleep(settings.calmMs);
    }
    complete = windows.length === faults.length &&
      windowReports.every((w) => w.recoveredAfterMs !== null);
  } finally {
    stopping = true;
    await Promise.all(loops);
    for (const c of clients) c.peer.close();
  }

  let refreshes = { presented: 0, tokens: 0, reused: 0, most: 0 };
  let upstreamCalls = 0;
  try {
    refreshes = await emu!.control("GET", "/refreshes") as typeof refreshes;
    upstreamCalls = emu!.calls();
    rss.A.push(mib(gw.A?.rss()));
    rss.B.push(mib(gw.B?.rss()));
  } finally {
    if (gw.A) earlierLogs.push(...logLines("A", gw.A.output()));
    if (gw.B) earlierLogs.push(...logLines("B", gw.B.output()));
    await Promise.all([gw.A?.stop(), gw.B?.stop()]);
    await redis?.halt();
    await emu?.close();
  }

  const inWindow = (s: Sample) => windows.some((w) => s.got >= w.start && s.sent <= w.recovered);
  const outside5xx: Record<string, number> = {};
  const outside5xxExamples: string[] = [];
  const placed = (s: Sample): string => {
    const before = windows.filter((w) => w.recovered < s.sent).at(-1);
    return before === undefined
      ? `${Math.round((windows[0]?.start ?? s.sent) - s.sent)} ms before the first fault`
      : `${Math.round(s.sent - before.recovered)} ms after "${before.name}" recovered`;
  };
  const inside5xxOther: Record<string, number> = {};
  const outsideFailed: Record<string, number> = {};
  let inside503 = 0;
  let rateLimited = 0;
  const latency: Record<string, number[]> = { me: [], admin: [], rpc: [] };
  for (const s of samples) {
    const inside = inWindow(s);
    if (s.status === 429) rateLimited++;
    if (s.status >= 500) {
      if (!inside) {
        bump(outside5xx, String(s.status));
        if (outside5xxExamples.length < 5) {
          const near = earlierLogs.filter((l) =>
            l.at >= s.sentAt - 3000 && l.at <= s.sentAt + (s.got - s.sent) + 500
          ).slice(0, 12).map((l) => `\n      ${l.gateway}: ${l.line.slice(0, 300)}`).join("");
          outside5xxExamples.push(
            `${s.kind} on ${s.gateway}: ${s.status}${s.retryAfter ? " + Retry-After" : ""}, ` +
              `sent ${placed(s)}, answered in ${Math.round(s.got - s.sent)} ms: ${s.body ?? ""}` +
              `\n    the gateways' log lines from 3 s before:${near || " none"}`,
          );
        }
      } else if (s.status === 503 && s.retryAfter) inside503++;
      else bump(inside5xxOther, s.status === 503 ? "503 without Retry-After" : String(s.status));
    }
    if (s.status === 0 && !inside) bump(outsideFailed, s.error ?? "failed");
    if (!inside && isGood(s) && s.kind !== "login") latency[s.kind]!.push(s.got - s.sent);
  }
  const latencyOutsideMs: Record<string, Record<string, number | null>> = {};
  for (const [k, v] of Object.entries(latency)) latencyOutsideMs[k] = percentiles(v, [50, 99]);
  const { log: _log, ...shown } = settings;
  return {
    settings: shown,
    requests: samples.length,
    lost: {
      total: losses.length,
      browsers: losses.filter((l) => l.who.startsWith("browser")).length,
      services: losses.filter((l) => l.who.startsWith("service")).length,
      examples: losses.slice(0, 5).map((l) => `${l.who}: ${l.why}`),
    },
    refreshes,
    outside5xx,
    outside5xxExamples,
    inside5xxOther,
    inside503,
    outsideFailed,
    rateLimited,
    windows: windowReports,
    rssMiB: rss,
    latencyOutsideMs,
    upstreamCalls,
    complete,
  };
}

interface LogLine {
  gateway: "A" | "B";
  /** Its time, ms since the epoch. */
  at: number;
  line: string;
}

/** The JSON log lines (those with a time) of a gateway's output. */
function logLines(gateway: "A" | "B", output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of output.split("\n")) {
    const m = /^\{"time":"([^"]+)"/.exec(line);
    if (m) lines.push({ gateway, at: Date.parse(m[1]!), line });
  }
  return lines;
}

function isGood(s: Sample): boolean {
  return s.kind === "login" ? s.status === 302 : s.status === 200;
}
