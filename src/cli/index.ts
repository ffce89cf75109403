import { describeError, MirrorsyncError } from '../errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { readPackageVersion } from './package-info.js';
import { runCli } from './program.js';
import { surviveTerminalLoss } from './terminal.js';

// One AbortController for the whole run: SIGINT/SIGTERM abort it, and every probe, rsync child
// and retry loop listens to its signal. A second signal exits at once.
const controller = new AbortController();
const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
  if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
  const code = signal === 'SIGINT' ? 'interrupted.sigint' : 'interrupted.sigterm';
  controller.abort(new MirrorsyncError(code, `interrupted by ${signal}`));
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));
surviveTerminalLoss([process.stdout, process.stderr]);

// No top-level await: the bundle is one CommonJS script, so that V8 can cache its compiled code
// (see src/boot). main never rejects: every outcome becomes an exit status. What a top-level
// await gave for free is kept: a run whose work can never settle (a bug) must not end as a
// success when node runs out of things to wait for.
process.once('beforeExit', () => {
  process.stderr.write('mirrorsync: internal error: the run ended with its work unsettled\n');
  process.exit(EXIT.software);
});
void main();

async function main(): Promise<never> {
  const status = await outcome();
  process.exit(status);
}

async function outcome(): Promise<number> {
  try {
    return await runCli(process.argv.slice(2), {
      signal: controller.signal,
      stdout: process.stdout,
      stderr: process.stderr,
      stdoutIsTTY: process.stdout.isTTY === true,
      stderrIsTTY: process.stderr.isTTY === true,
      env: process.env,
      cwd: process.cwd(),
      version: readPackageVersion(import.meta.url),
      entryScript: process.argv[1] ?? '',
    });
  } catch (error) {
    if (error instanceof MirrorsyncError && error.code === 'internal') {
      // A bug, not an outcome: keep the stack of what was thrown for the report.
      const cause: unknown = error.cause ?? error;
      process.stderr.write(`mirrorsync: internal error: ${error.message}\n${cause instanceof Error ? (cause.stack ?? '') : ''}\n`);
      return EXIT.software;
    }
    if (error instanceof MirrorsyncError) {
      if (error.details['alreadyShown'] !== true) process.stderr.write(`mirrorsync: ${error.message}\n`);
      return exitCodeFor(error.code);
    }
    process.stderr.write(`mirrorsync: internal error: ${describeError(error)}\n${error instanceof Error ? (error.stack ?? '') : ''}\n`);
    return EXIT.software;
  }
}
