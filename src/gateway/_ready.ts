/**
 * Readiness (`GET /ready`): whether the upstream accepts the organisation's
 * credentials (one signed call) and the store answers (one read), checked at
 * most once per few seconds whatever the number of probes, concurrent probes
 * sharing one check. Liveness (`/health`) stays free of both.
 *
 * @module
 */
import type { AuthLiteClient } from "../client/mod.ts";
import { AuthLiteError, AuthLiteHttpError } from "../errors.ts";
import { variableOf } from "./_logger.ts";

/** The part of a store that readiness reads (any `KVStore`). */
export interface ReadyStore {
  /** A read of a key that need not exist. */
  get(key: string): Promise<unknown>;
}

/** Options of the gateway's `/ready`. */
export interface ReadyOptions {
  /** The token cache's store, read once per check (none: the store is not checked). */
  store?: ReadyStore;
  /** How long a check's answer is kept, in seconds (default 5). */
  cacheSeconds?: number;
  /** How long each part of a check may take, in ms (default 3000). */
  timeoutMs?: number;
  /**
   * Check once at the first request (in the background, logged when not
   * ready): the start-up check where there is no start (Workers).
   */
  checkOnFirstRequest?: boolean;
  /** The clock in milliseconds (default `Date.now`). */
  now?: () => number;
}

/** One dependency's state. */
export interface DependencyState {
  /** Whether it answered as it should. */
  ok: boolean;
  /** Why not, in words, with no secret: `credentials rejected`, `unreachable`, `timeout`, ... */
  reason?: string;
  /** For rejected credentials: the variable to fix. */
  fix?: string;
}

/** The body of `GET /ready`. */
export interface ReadyReport {
  /** Whether every dependency answered. */
  ready: boolean;
  /** The names of what is down. */
  down: string[];
  /** Each dependency. */
  checks: { upstream: DependencyState; store: DependencyState | "not checked" };
}

/**
 * What a failed upstream call says about the credentials and the upstream.
 *
 * @param err what the call threw
 * @returns the state, with the variable to fix for rejected credentials
 */
export function upstreamStateOf(err: unknown): DependencyState & { credential?: string } {
  if (err instanceof AuthLiteError && err.code === "ERR_CREDENTIALS") {
    const credential = (err as { credential?: unknown }).credential;
    const which = credential === "apiKey" || credential === "secretKey" || credential === "orgId"
      ? credential
      : "unknown";
    return { ok: false, reason: "credentials rejected", fix: variableOf(which), credential: which };
  }
  // Before the client tells ERR_CREDENTIALS apart, a 401 or 403 on a call
  // signed with the organisation's keys says the same.
  if (err instanceof AuthLiteHttpError && (err.status === 401 || err.status === 403)) {
    return {
      ok: false,
      reason: "credentials rejected",
      fix: variableOf("unknown"),
      credential: "unknown",
    };
  }
  if (err instanceof AuthLiteError) {
    switch (err.code) {
      case "ERR_TIMEOUT":
        return { ok: false, reason: "timeout" };
      case "ERR_NETWORK":
        return { ok: false, reason: "unreachable" };
      case "ERR_UNAVAILABLE":
        return { ok: false, reason: "unavailable" };
      case "ERR_HTTP":
        return { ok: false, reason: `answered ${(err as AuthLiteHttpError).status}` };
      default:
        return { ok: false, reason: err.code };
    }
  }
  return { ok: false, reason: "error" };
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * One signed call upstream: resolves when the credentials are accepted.
 *
 * @param client the client
 * @returns the upstream's state
 */
export async function checkUpstream(
  client: AuthLiteClient,
): Promise<DependencyState & { credential?: string }> {
  try {
    // GET /rbac/role: signed with the API key and the signed key, never served
    // from the role cache.
    await client.roles.getAllRoles();
    return { ok: true };
  } catch (err) {
    return upstreamStateOf(err);
  }
}

/** The readiness of one gateway: checks shared and kept for a few seconds. */
export class Readiness {
  #client: AuthLiteClient;
  #store: ReadyStore | undefined;
  #keepMs: number;
  #timeoutMs: number;
  #now: () => number;
  #last: { at: number; report: Promise<ReadyReport> } | undefined;
  #onReport: (report: ReadyReport & { credential?: string }) => void;

  /**
   * Readiness of `client` (and the store).
   *
   * @param client the client
   * @param options the store, how long a check is kept, the timeout
   * @param onReport told of each new check's result (to log it)
   * @param now the clock in ms
   */
  constructor(
    client: AuthLiteClient,
    options: ReadyOptions,
    onReport: (report: ReadyReport & { credential?: string }) => void,
    now: () => number = Date.now,
  ) {
    this.#client = client;
    this.#store = options.store;
    this.#keepMs = (options.cacheSeconds ?? 5) * 1000;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#onReport = onReport;
    this.#now = options.now ?? now;
  }

  /** The current report: the kept one while fresh, else one new check. */
  check(): Promise<ReadyReport> {
    const t = this.#now();
    if (this.#last !== undefined && t - this.#last.at < this.#keepMs) return this.#last.report;
    const report = this.#run();
    this.#last = { at: t, report };
    return report;
  }

  async #run(): Promise<ReadyReport> {
    const [upstream, store] = await Promise.all([
      within(checkUpstream(this.#client), this.#timeoutMs).catch(() => ({
        ok: false,
        reason: "timeout",
      })),
      this.#checkStore(),
    ]);
    const down: string[] = [];
    if (!upstream.ok) down.push("upstream");
    if (store !== "not checked" && !store.ok) down.push("store");
    const { credential, ...publicUpstream } = upstream as DependencyState & { credential?: string };
    const report: ReadyReport = {
      ready: down.length === 0,
      down,
      checks: { upstream: publicUpstream, store },
    };
    this.#onReport(credential === undefined ? report : { ...report, credential });
    return report;
  }

  async #checkStore(): Promise<DependencyState | "not checked"> {
    const store = this.#store;
    if (store === undefined) return "not checked";
    try {
      await within(store.get("authlite:ready"), this.#timeoutMs);
      return { ok: true };
    } catch (err) {
      return {
        ok: false,
        reason: err instanceof Error && err.message === "timeout" ? "timeout" : "error",
      };
    }
  }
}
