/**
 * A local TrustAuthX for development and tests: the upstream API of docs/wire-protocol.md with
 * real HS256 signatures, its login widget and its settings page, as a Hono app. Serving
 * is left to the caller (`Deno.serve(emu.fetch)`, `Bun.serve({ fetch: emu.fetch })`, or
 * mount `emu.app`). See docs/emulator.md for the control surface.
 *
 * @example
 * ```ts
 * import { createEmulator } from "@authlite/authlite/emulator";
 * const emu = createEmulator({ control: true });
 * const { accessToken } = emu.session({ email: "ada@example.com" });
 * console.assert(accessToken.split(".").length === 3);
 * ```
 *
 * @module
 */

export { createEmulator, DEMO_ORG } from "./emulator.ts";
export type { Emulator, EmulatorOptions, EmulatorWho } from "./emulator.ts";
export { EmulatorError } from "./state.ts";
export type { EmulatorOrg, EmulatorRole, EmulatorUser, Fault } from "./state.ts";
