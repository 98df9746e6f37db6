/**
 * Test helper: serve a fetch handler on an ephemeral loopback port under
 * Deno or Bun (the two runners of the suite).
 *
 * @module
 */

/** A running server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The port chosen at run time. */
  port: number;
  /** Stop the server. */
  close(): Promise<void>;
}

type Handler = (req: Request) => Response | Promise<Response>;

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Serve `handler` on 127.0.0.1 at a port the OS picks. */
export function serve(handler: Handler): Promise<TestServer> {
  if (g.Deno?.serve) {
    const ac = new AbortController();
    return new Promise((resolve) => {
      const server = g.Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        signal: ac.signal,
        onListen: ({ port }: { port: number }) => {
          resolve({
            url: `http://127.0.0.1:${port}`,
            port,
            close: async () => {
              ac.abort();
              await server.finished;
            },
          });
        },
      }, handler);
    });
  }
  if (g.Bun?.serve) {
    const server = g.Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler });
    return Promise.resolve({
      url: `http://127.0.0.1:${server.port}`,
      port: server.port,
      close: async () => {
        await server.stop(true);
      },
    });
  }
  return Promise.reject(new Error("Unsupported runtime: run the tests with deno test or bun test"));
}
