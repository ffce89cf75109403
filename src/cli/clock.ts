/**
 * The CLI's clock. `MIRRORSYNC_TEST_NOW` (ISO 8601 or Unix seconds) moves it, for tests that walk
 * schedules across simulated days with the real CLI; time then runs on from that moment at the
 * real pace. Only the CLI reads it, and only for what schedules and status pages show: operators
 * never need it.
 */
export const TEST_NOW_ENV = 'MIRRORSYNC_TEST_NOW';

export function cliClock(env: NodeJS.ProcessEnv): () => Date {
  const text = env[TEST_NOW_ENV];
  if (text === undefined || text === '') return () => new Date();
  const at = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (Number.isNaN(at)) return () => new Date();
  const shift = at - Date.now();
  return () => new Date(Date.now() + shift);
}
