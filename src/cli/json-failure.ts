/**
 * `--json` prints one JSON document on stdout for every exit (DESIGN.md, Commands): a command
 * that fails before it printed its own gets `{"result": "failed", "error", "exitCode"}`.
 */
import type { MirrorsyncError } from '../errors.js';
import { exitCodeFor } from './exit-codes.js';

/** Whether the command line asks for JSON (an argument after `--` is an operand, not a flag). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

export function failureDocument(error: MirrorsyncError): string {
  return `${JSON.stringify({ result: 'failed', error: { code: error.code, message: error.message }, exitCode: exitCodeFor(error.code) }, null, 2)}\n`;
}

/** The same stream, remembering whether anything was written to it (a command's own document). */
export function trackWrites(stream: NodeJS.WritableStream): { readonly stream: NodeJS.WritableStream; written(): boolean } {
  let written = false;
  const tracked = Object.create(stream) as NodeJS.WritableStream;
  tracked.write = ((...args: Parameters<NodeJS.WritableStream['write']>) => {
    written = true;
    return stream.write(...args);
  }) as NodeJS.WritableStream['write'];
  return { stream: tracked, written: () => written };
}
