/**
 * Opening one Deno KV file from several processes that start together: the
 * first to open it holds SQLite's lock while it sets the file up, and another
 * process's `Deno.openKv()` fails at once with "database is locked". That
 * second instance must wait for the lock, not exit.
 *
 * @module
 */

/** How long to keep trying while another process holds the lock, ms. */
const LOCKED_FOR_MS = 10_000;
/** The wait between two tries, ms. */
const RETRY_MS = 50;

/**
 * Open a KV store, trying again while another process holds its file's lock.
 *
 * @param open the opener (`Deno.openKv`)
 * @param path the file (`undefined`: Deno's default)
 * @param boundMs give up after this long (the last error is thrown)
 * @param sleep the wait between tries (tests pass their own)
 * @returns the store
 * @throws whatever the opener throws, at once unless it is the lock, else after `boundMs`
 */
export async function openKvWaiting<K>(
  open: (path?: string) => Promise<K>,
  path: string | undefined,
  boundMs: number = LOCKED_FOR_MS,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<K> {
  let waited = 0;
  for (;;) {
    try {
      return await open(path);
    } catch (err) {
      if (waited >= boundMs || !/database is locked/i.test(String(err))) throw err;
      await sleep(RETRY_MS);
      waited += RETRY_MS;
    }
  }
}
