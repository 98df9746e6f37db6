// A minimal node:http server for a fetch handler (`@hono/node-server` is not a dependency):
// the request's method, headers and body in, the response's status, headers and streamed
// body out. node:http is there on Node, Deno and Bun alike, so the standalone emulator
// serves the same way on all three.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A fetch handler. */
export type FetchHandler = (req: Request) => Response | Promise<Response>;

/** A server started by {@linkcode listenNode}. */
export interface NodeListening {
  /** `http://host:port` (an IPv6 host in brackets). */
  url: string;
  /** The port, chosen by the system when 0 was asked for. */
  port: number;
  /** Stop accepting connections and close the open ones. */
  close(): Promise<void>;
}

/** Options of {@linkcode listenNode}. */
export interface ListenNodeOptions {
  /** The port (0: any free one). */
  port: number;
  /** The address to listen on. */
  hostname: string;
  /** The largest request body accepted, in bytes (default 1 MiB); a larger one gets 413. */
  maxBodyBytes?: number;
}

/** The listen error of a busy port or a bad address: `code` as node:net reports it. */
export class ListenError extends Error {
  /** `EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, `ENOTFOUND`, ... */
  readonly code: string;

  /**
   * @param code the system error code
   * @param message the message
   */
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = this.constructor.name;
  }
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    req.on("data", (chunk: Uint8Array) => {
      size += chunk.byteLength;
      if (size > limit) {
        reject(new TooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      const out = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.byteLength;
      }
      resolve(out);
    });
    req.on("error", reject);
  });
}

function toRequest(
  req: IncomingMessage,
  origin: string,
  body: Uint8Array<ArrayBuffer> | undefined,
  signal: AbortSignal,
): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header the Fetch API refuses (node:http already checked the syntax): leave it out.
    }
  }
  // The origin is the server's own, not the Host header: a hostile Host cannot change it.
  const url = new URL(req.url ?? "/", origin);
  const init: RequestInit = { method: req.method ?? "GET", headers, signal };
  if (body !== undefined) init.body = body;
  return new Request(url, init);
}

async function writeResponse(
  res: ServerResponse,
  response: Response,
  head: boolean,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText, headers);
  if (response.body === null || head) {
    await response.body?.cancel();
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.on("close", () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Wait for the socket to drain before reading more: a slow reader holds no big buffer.
      if (!res.write(value)) await new Promise((resolve) => res.once("drain", resolve));
    }
    res.end();
  } catch {
    // The body failed half-way: drop the connection, as a server that crashed mid-reply does.
    res.destroy();
  }
}

/**
 * Serve `handler` with node:http.
 *
 * @param handler the fetch handler
 * @param options port, address, body limit
 * @returns the running server once it listens
 * @throws {ListenError} when it cannot listen (a busy port: `code` `EADDRINUSE`)
 */
export function listenNode(
  handler: FetchHandler,
  options: ListenNodeOptions,
): Promise<NodeListening> {
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  let origin = "http://127.0.0.1";
  const server = createServer(async (req, res) => {
    const ac = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) ac.abort();
    });
    try {
      const method = req.method ?? "GET";
      let body: Uint8Array<ArrayBuffer> | undefined;
      if (method !== "GET" && method !== "HEAD") {
        try {
          body = await readBody(req, limit);
        } catch (err) {
          const status = err instanceof TooLarge ? 413 : 400;
          res.writeHead(status, { "content-type": "application/json", connection: "close" });
          res.end(JSON.stringify({ detail: status === 413 ? "Body too large" : "Bad request" }));
          return;
        }
      }
      const response = await handler(toRequest(req, origin, body, ac.signal));
      await writeResponse(res, response, method === "HEAD");
    } catch {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ detail: "Internal error" }));
      } else {
        res.destroy();
      }
    }
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error & { code?: string }) => {
      reject(new ListenError(err.code ?? "EUNKNOWN", err.message));
    };
    server.once("error", onError);
    server.listen(options.port, options.hostname, () => {
      server.off("error", onError);
      const addr = server.address() as AddressInfo;
      const host = addr.family === "IPv6" || addr.address.includes(":")
        ? `[${addr.address}]`
        : addr.address;
      origin = `http://${host}:${addr.port}`;
      resolve({
        url: origin,
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
