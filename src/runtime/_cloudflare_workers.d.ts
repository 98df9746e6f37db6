// The part of the `cloudflare:workers` module that worker.ts uses, declared
// here because @cloudflare/workers-types would replace global types (fetch,
// Response, ...) for every other file of a `deno check`.
declare module "cloudflare:workers" {
  /** The base class of a Worker's RPC entrypoints (named service-binding targets). */
  export abstract class WorkerEntrypoint<Env = unknown> {
    /** The execution context of the call. */
    protected ctx: {
      waitUntil(promise: Promise<unknown>): void;
      passThroughOnException(): void;
    };
    /** The Worker's bindings. */
    protected env: Env;
    constructor(ctx: unknown, env: Env);
  }
  /** The base class of objects passed by reference over Workers RPC. */
  export abstract class RpcTarget {
    constructor();
  }
}
