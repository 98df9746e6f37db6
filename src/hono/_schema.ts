// deno-lint-ignore-file ban-types -- a redirect's output is `{}` to hono/client
/**
 * The routes of `authRoutes()` as explicit types: what `hono/client` sees of
 * them (and, under `/auth`, of the gateway). Written out in full, so that the
 * package has no slow types on JSR and its documentation no private types.
 *
 * @module
 */
import type { ErrorBody } from "./errors.ts";
import type { Session } from "../web/_internal.ts";

/** The reply of `GET <prefix>/me`: the signed-in user and the state of the session. */
export interface MeReply {
  /** Who. */
  user: Session;
  /** The session. */
  session: {
    /** Whether the tokens were rotated to answer. */
    refreshed: boolean;
  };
}

/**
 * The routes of `authRoutes()`: path → method → input and each reply (every
 * error reply is the one error body, as a caller reads it).
 */
export type AuthRoutesSchema = {
  "/login": {
    $get:
      | {
        input: { query: { redirect?: string | undefined } };
        output: {};
        outputFormat: string;
        status: 302;
      }
      | {
        input: { query: { redirect?: string | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 400;
      }
      | {
        input: { query: { redirect?: string | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 401;
      }
      | {
        input: { query: { redirect?: string | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 403;
      }
      | {
        input: { query: { redirect?: string | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 404;
      }
      | {
        input: { query: { redirect?: string | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 429;
      }
      | {
        input: { query: { redirect?: string | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 500;
      }
      | {
        input: { query: { redirect?: string | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 502;
      }
      | {
        input: { query: { redirect?: string | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 503;
      };
  };
  "/callback": {
    $get:
      | { input: { query: { code: string } }; output: {}; outputFormat: string; status: 302 }
      | {
        input: { query: { code: string } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 400;
      }
      | {
        input: { query: { code: string } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 401;
      }
      | {
        input: { query: { code: string } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 403;
      }
      | {
        input: { query: { code: string } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 404;
      }
      | {
        input: { query: { code: string } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 429;
      }
      | {
        input: { query: { code: string } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 500;
      }
      | {
        input: { query: { code: string } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 502;
      }
      | {
        input: { query: { code: string } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 503;
      };
  };
  "/me": {
    $get:
      | { input: Record<never, never>; output: MeReply; outputFormat: "json"; status: 200 }
      | {
        input: Record<never, never>;
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 400;
      }
      | {
        input: Record<never, never>;
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 401;
      }
      | {
        input: Record<never, never>;
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 403;
      }
      | {
        input: Record<never, never>;
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 404;
      }
      | {
        input: Record<never, never>;
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 429;
      }
      | {
        input: Record<never, never>;
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 500;
      }
      | {
        input: Record<never, never>;
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 502;
      }
      | {
        input: Record<never, never>;
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 503;
      };
  };
  "/logout": {
    $post:
      | {
        input: { json: { all?: boolean | undefined } };
        output: { ok: true; revoked: boolean };
        outputFormat: "json";
        status: 200;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 400;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 401;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 403;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 404;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 429;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 500;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 502;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 503;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 413;
      }
      | {
        input: { json: { all?: boolean | undefined } };
        output: ErrorBody<string>;
        outputFormat: "json";
        status: 415;
      };
  };
};
