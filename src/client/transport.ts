/**
 * HTTP to the upstream: one timeout per request, retries of idempotent GETs
 * on network errors and 502/503/504 (with backoff and `Retry-After`), and
 * errors that never carry a query string, a secret or a token.
 *
 * @module
 */
import {
  AuthLiteCredentialsError,
  AuthLiteError,
  AuthLiteHttpError,
  AuthLiteNetworkError,
  AuthLiteReplyError,
} from "../errors.ts";
import { type AuthLiteObserver, emit } from "../_events.ts";
import type { FetchLike } from "./options.ts";
import { excerpt, scrubError } from "./_scrub.ts";
import { backoffMs, parseRetryAfter, RETRYABLE_STATUSES, retryDelayMs } from "./_retry.ts";
import type { Breaker } from "../_breaker.ts";
import { throughBreaker } from "./_breaker.ts";
import { rejectedCredential } from "./_credentials.ts";

/** The HTTP methods the upstream uses. */
export type HttpMethod = "GET" | "POST" | "DELETE";

/** One request to the upstream. */
export interface TransportRequest {
  /** The method; only `GET` is ever retried. */
  method: HttpMethod;
  /** The endpoint path, e.g. `/rbac/role` (what errors show). */
  path: string;
  /** The query parameters, in order, credentials included. */
  query: ReadonlyArray<readonly [string, string]>;
  /** A JSON body, if any. */
  body?: unknown;
  /** Tokens and keys in this request, to keep out of errors. */
  sensitive: readonly string[];
  /** Failure statuses that are answers here (returned, not thrown), e.g. 401. */
  answers?: readonly number[];
}

/** The upstream's reply, body read. */
export interface TransportReply {
  /** The HTTP status. */
  status: number;
  /** The reply headers. */
  headers: Headers;
  /** The body as text. */
  text: string;
}

/** Options of {@linkcode Transport}. */
export interface TransportOptions {
  /** Base URL of the upstream; its path is a prefix of every endpoint path. */
  baseUrl: URL;
  /** The `fetch` to call. */
  fetch: FetchLike;
  /** Timeout of each try, in milliseconds. */
  timeoutMs: number;
  /** Retries of a GET. */
  retries: number;
  /** Secrets of the client (API key, secret key, signed key once known). */
  secrets: () => readonly string[];
  /** Called with the headers of every reply the upstream gives. */
  onReply?: (headers: Headers) => void;
  /** Wait (tests may shorten it; default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** The circuit breaker every try goes through, if any. */
  breaker?: Breaker | undefined;
  /** Told of every try (`upstream`) and of rejected credentials (`credentials`). */
  observe?: AuthLiteObserver | undefined;
  /** Clock in milliseconds for the events' `startedAt` (default `Date.now`). */
  now?: () => number;
}

/** The most read of a reply the client uses (JSON): beyond it, the reply is refused. */
export const MAX_REPLY_BYTES = 1024 * 1024;
/** The most read of a failure's body: enough for an excerpt. */
export const MAX_ERROR_BYTES = 4 * 1024;

/**
 * Read at most `max` bytes of a body as UTF-8, then cancel the stream.
 * `complete` is `false` when the body was longer (or said so up front).
 */
async function readCapped(
  response: Response,
  max: number,
): Promise<{ text: string; complete: boolean }> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const body = response.body;
  if (body === null) return { text: "", complete: true };
  if (declared > max) {
    await body.cancel().catch(() => {});
    return { text: "", complete: false };
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode(), complete: true };
      const room = max - seen;
      seen += value.byteLength;
      if (value.byteLength > room) {
        text += decoder.decode(value.subarray(0, room));
        await reader.cancel().catch(() => {});
        return { text, complete: false };
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Sends requests to the upstream. */
export class Transport {
  #options: TransportOptions;

  /**
   * Create a transport.
   *
   * @param options where and how to send
   */
  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /**
   * Send a request, retrying a GET when that is safe and useful.
   *
   * @param request what to send
   * @returns the reply: a 2xx, or a status listed in `request.answers`
   * @throws {AuthLiteHttpError} on any other status
   * @throws {AuthLiteNetworkError} `ERR_NETWORK` or `ERR_TIMEOUT`
   * @throws {AuthLiteCredentialsError} a 401/403 that names one of the organisation's credentials
   * @throws {AuthLiteUnavailableError} `upstream` while the circuit breaker is open
   */
  async send(request: TransportRequest): Promise<TransportReply> {
    const url = this.#url(request);
    const attempts = request.method === "GET" ? this.#options.retries + 1 : 1;
    const sleep = this.#options.sleep ?? defaultSleep;
    for (let attempt = 0;; attempt++) {
      const last = attempt + 1 >= attempts;
      let reply: TransportReply;
      try {
        reply = await this.#attempt(url, request);
      } catch (err) {
        if (!last && err instanceof AuthLiteNetworkError && err.code === "ERR_NETWORK") {
          await sleep(backoffMs(attempt));
          continue;
        }
        throw err;
      }
      this.#options.onReply?.(reply.headers);
      const { status } = reply;
      const credential = rejectedCredential(status, reply.text);
      if (credential !== null) {
        emit(this.#options.observe, { type: "credentials", credential });
        throw new AuthLiteCredentialsError(credential, request.path);
      }
      if ((status >= 200 && status < 300) || request.answers?.includes(status)) return reply;
      if (!last && RETRYABLE_STATUSES.has(status)) {
        const delay = retryDelayMs(attempt, reply.headers.get("retry-after"), Date.now());
        if (delay !== undefined) {
          await sleep(delay);
          continue;
        }
      }
      const wait = parseRetryAfter(reply.headers.get("retry-after"), Date.now());
      throw new AuthLiteHttpError(
        status,
        request.path,
        excerpt(reply.text, this.#secrets(request)),
        wait === undefined ? undefined : { retryAfterSeconds: wait / 1000 },
      );
    }
  }

  /** One try, through the breaker, reported to the observer. */
  async #attempt(url: URL, request: TransportRequest): Promise<TransportReply> {
    const { breaker, observe } = this.#options;
    if (breaker === undefined && observe === undefined) return await this.#once(url, request);
    const startedAt = (this.#options.now ?? Date.now)();
    const t0 = performance.now();
    let outcome: number | "network" | "timeout" | "rejected-open" = "network";
    try {
      const reply = breaker === undefined ? await this.#once(url, request) : await throughBreaker(
        breaker,
        () => this.#once(url, request),
        ({ status: s }) => s === 408 || s === 429 || s >= 500,
      );
      outcome = reply.status;
      return reply;
    } catch (err) {
      if (err instanceof AuthLiteNetworkError && err.code === "ERR_TIMEOUT") outcome = "timeout";
      else if (err instanceof AuthLiteError && err.code === "ERR_UNAVAILABLE") {
        outcome = "rejected-open";
      } else if (err instanceof AuthLiteReplyError) outcome = 200;
      throw err;
    } finally {
      emit(observe, {
        type: "upstream",
        endpoint: request.path,
        method: request.method,
        outcome,
        durationMs: performance.now() - t0,
        startedAt,
      });
    }
  }

  #secrets(request: TransportRequest): string[] {
    return [...this.#options.secrets(), ...request.sensitive];
  }

  #url(request: TransportRequest): URL {
    const url = new URL(this.#options.baseUrl.href);
    url.pathname = `${this.#options.baseUrl.pathname.replace(/\/+$/, "")}${request.path}`;
    for (const [name, value] of request.query) url.searchParams.append(name, value);
    return url;
  }

  async #once(url: URL, request: TransportRequest): Promise<TransportReply> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#options.timeoutMs);
    const headers: Record<string, string> = { accept: "application/json" };
    // Never follow a redirect: the query carries the API key and the signed
    // key, and a 3xx from the upstream (or a proxy) is not an answer.
    const init: RequestInit = {
      method: request.method,
      headers,
      signal: controller.signal,
      redirect: "manual",
    };
    if (request.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(request.body);
    }
    // Race the signal too: an injected fetch may ignore it.
    const aborted = new Promise<never>((_resolve, reject) => {
      controller.signal.addEventListener("abort", () => reject(new Error("Aborted")), {
        once: true,
      });
    });
    aborted.catch(() => {});
    try {
      const response = await Promise.race([this.#options.fetch(url.href, init), aborted]);
      const status = response.status;
      const wanted = (status >= 200 && status < 300) || request.answers?.includes(status) === true;
      const max = wanted ? MAX_REPLY_BYTES : MAX_ERROR_BYTES;
      const { text, complete } = await Promise.race([readCapped(response, max), aborted]);
      if (wanted && !complete) {
        throw new AuthLiteReplyError(
          "ERR_BAD_REPLY",
          request.path,
          `Reply larger than ${MAX_REPLY_BYTES} bytes`,
        );
      }
      return { status, headers: response.headers, text };
    } catch (err) {
      if (err instanceof AuthLiteReplyError) throw err;
      if (timedOut) {
        throw new AuthLiteNetworkError(
          "ERR_TIMEOUT",
          request.path,
          `Timed out after ${this.#options.timeoutMs} ms`,
        );
      }
      throw new AuthLiteNetworkError("ERR_NETWORK", request.path, "Network failure", {
        cause: scrubError(err, this.#secrets(request)),
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
