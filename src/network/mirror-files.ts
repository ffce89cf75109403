import type { Config, SourceConfig } from '../config/types.js';
import { formatRsyncUrl, parseRsyncAddress } from '../sources/address.js';
import { readSourcePassword } from '../sources/password.js';
import { fetchTraceOverHttp } from '../sources/probe-trace-http.js';
import { readTraceOverRsync, TRACE_MAX_BYTES } from '../sources/probe-trace-rsync.js';
import { fetchHttpTail } from './http-tail.js';
import { summarizeOwnStatus, type Fetched } from './own-status.js';
import type { OwnStatus } from './types.js';

const STATUS_PATH = '.mirrorsync/status.json';
const LOG_PATH = '.mirrorsync/last-run.log';
/** status.json is a few hundred bytes; anything past this is not a status. */
export const STATUS_MAX_BYTES = 64 * 1024;
/** The end of last-run.log that is read: rsync's closing error lines are there. */
export const LOG_TAIL_BYTES = 16 * 1024;

/**
 * Reads what a mirror publishes of its own runs: over HTTP when it has `http` (the log's tail
 * only, by a Range request), else through its rsync module (a whole file of at most 64 KiB:
 * rsync cannot read a tail). Bounded by `signal`; never rejects.
 */
export async function readOwnStatus(source: SourceConfig, config: Config, signal: AbortSignal): Promise<OwnStatus | null> {
  const [status, log] = source.http !== undefined ? await readOverHttp(source.http, signal) : await readOverRsync(source, config, signal);
  return summarizeOwnStatus(status, log);
}

async function readOverHttp(base: string, signal: AbortSignal): Promise<[Fetched, Fetched]> {
  let logUrl: URL;
  try {
    logUrl = new URL(LOG_PATH, base.endsWith('/') ? base : `${base}/`);
  } catch {
    return [{ problem: 'invalid http base URL' }, { problem: 'invalid http base URL' }];
  }
  const [status, log] = await Promise.all([fetchTraceOverHttp(base, STATUS_PATH, { signal, maxBytes: STATUS_MAX_BYTES }), fetchHttpTail(logUrl, { signal, tailBytes: LOG_TAIL_BYTES })]);
  const statusRead: Fetched = 'text' in status ? { text: status.text } : status.failure.message === 'HTTP 404' ? { missing: true } : { problem: status.failure.message.replace(/^trace over/, 'over') };
  const logRead: Fetched = 'text' in log ? log : log.problem === 'not published' ? { missing: true } : log;
  return [statusRead, logRead];
}

async function readOverRsync(source: SourceConfig, config: Config, signal: AbortSignal): Promise<[Fetched, Fetched]> {
  const address = source.url === undefined ? undefined : parseRsyncAddress(source.url);
  if (address === undefined || 'error' in address) return [{ missing: true }, { missing: true }];
  const secret = await readSourcePassword(address, source);
  if ('error' in secret) return [{ problem: secret.error }, { problem: secret.error }];
  const options = { binary: config.rsync.binary, signal, ...(secret.password === undefined ? {} : { password: secret.password }) };
  const read = async (path: string, what: string): Promise<Fetched> => {
    const result = await readTraceOverRsync(formatRsyncUrl(address, path), options);
    if ('text' in result) return { text: result.text };
    if (result.failure.kind === 'trace-missing') return { missing: true };
    if (result.failure.kind === 'trace-garbage') return { problem: `${what} is not a regular file of at most ${TRACE_MAX_BYTES / 1024} KiB: not read over rsync` };
    return { problem: result.failure.message };
  };
  return Promise.all([read(STATUS_PATH, 'status.json'), read(LOG_PATH, 'the log')]);
}
