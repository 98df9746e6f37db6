/**
 * The emulator (with its control surface) on a loopback port, in a process
 * of its own, for bench/cache_bench.ts. Prints `PORT <n>` once listening.
 *
 * @module
 */
import { createEmulator } from "../src/emulator/mod.ts";
import { serve } from "../tests/_serve.ts";

const emulator = createEmulator({ control: true });
const server = await serve((req) => emulator.fetch(req));
console.log(`PORT ${server.port}`);
