// The emulator's fault queue (docs/emulator.md, "Fault"): faults for the next N matching API
// calls, or for every matching call during a time window (`duration_ms`), taken in the
// order they were queued. The API applies what it takes (api.ts, `applyFault`).

/** A fault to inject into the next matching API calls (see docs/emulator.md). */
export interface Fault {
  /** What goes wrong. */
  kind: "latency" | "status" | "malformed" | "wrong-shape" | "bad-signature" | "alg-none" | "reset";
  /** How many matching calls it applies to (default 1; with `duration_ms`, default no bound). */
  count?: number;
  /** A prefix of the API path it applies to (default: any). */
  path?: string;
  /** For `latency`: how long to wait (a `latency_ms` past the caller's timeout is a hang). */
  latency_ms?: number;
  /** For `status`: the status to answer. */
  status?: number;
  /** For `status`, `malformed` and `wrong-shape`: the body to answer. */
  body?: string;
  /** For `status`: the `Retry-After` header, in seconds. */
  retry_after?: number;
  /**
   * A window instead of (or besides) a count: the fault applies to every matching call for
   * this many milliseconds after it is queued (real time: the control clock does not move it),
   * then it is gone.
   */
  duration_ms?: number;
}

const FAULT_KINDS = new Set<Fault["kind"]>([
  "latency",
  "status",
  "malformed",
  "wrong-shape",
  "bad-signature",
  "alg-none",
  "reset",
]);

/**
 * What is wrong with a fault, if anything.
 *
 * @param f a fault as given
 * @returns the message of the 400 to answer, or `undefined` when it is valid
 */
export function faultProblem(f: unknown): string | undefined {
  if (typeof f !== "object" || f === null) return "Invalid fault: an object is expected";
  const x = f as Record<string, unknown>;
  if (!FAULT_KINDS.has(x.kind as Fault["kind"])) return "Invalid fault: unknown kind";
  const isInt = (v: unknown, min: number, max: number): boolean =>
    v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max);
  if (!isInt(x.count, 1, 1_000_000)) return "Invalid fault: count";
  if (!isInt(x.latency_ms, 0, 60_000)) return "Invalid fault: latency_ms";
  if (!isInt(x.status, 200, 599)) return "Invalid fault: status";
  if (!isInt(x.retry_after, 0, 86_400)) return "Invalid fault: retry_after";
  if (!isInt(x.duration_ms, 1, 3_600_000)) return "Invalid fault: duration_ms";
  if (x.path !== undefined && typeof x.path !== "string") return "Invalid fault: path";
  if (x.body !== undefined && typeof x.body !== "string") return "Invalid fault: body";
  if (x.kind === "status" && x.status === undefined) return "Invalid fault: status is required";
  if (x.kind === "latency" && x.latency_ms === undefined) {
    return "Invalid fault: latency_ms is required";
  }
  return undefined;
}

interface Queued {
  fault: Fault;
  left: number;
  until: number;
}

/** The queued faults, in order. */
export class FaultQueue {
  #queued: Queued[] = [];
  readonly #now: () => number;

  /** @param now the real clock, ms (windows are measured on it) */
  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Queue a valid fault (see {@linkcode faultProblem}).
   *
   * @param fault the fault
   * @returns how many faults are queued
   */
  add(fault: Fault): number {
    const windowed = fault.duration_ms !== undefined;
    this.#queued.push({
      fault: { ...fault },
      left: fault.count ?? (windowed ? Number.POSITIVE_INFINITY : 1),
      until: windowed ? this.#now() + fault.duration_ms! : Number.POSITIVE_INFINITY,
    });
    return this.#queued.length;
  }

  /**
   * Take one use of the first queued fault that matches this call.
   *
   * @param path the API path
   * @param signed whether the endpoint answers a signed reply
   * @returns the fault, if any
   */
  take(path: string, signed: boolean): Fault | undefined {
    if (this.#queued.length === 0) return undefined;
    const now = this.#now();
    this.#queued = this.#queued.filter((q) => q.until > now);
    const i = this.#queued.findIndex(({ fault: f }) =>
      (f.path === undefined || path.startsWith(f.path)) &&
      (signed || (f.kind !== "bad-signature" && f.kind !== "alg-none"))
    );
    const q = this.#queued[i];
    if (!q) return undefined;
    if (--q.left <= 0) this.#queued.splice(i, 1);
    return q.fault;
  }

  /**
   * Drop every queued fault.
   *
   * @returns how many were dropped
   */
  clear(): number {
    const n = this.#queued.length;
    this.#queued = [];
    return n;
  }
}
