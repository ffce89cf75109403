import { readFile } from 'node:fs/promises';
import type { SourceConfig } from '../config/types.js';
import type { RsyncAddress } from './address.js';

/**
 * The password for a source's rsync module: the one in its url, else the first line of its
 * passwordFile (rsync reads only that line too), else none. It travels to rsync on stdin only.
 */
export async function readSourcePassword(address: RsyncAddress, source: SourceConfig): Promise<{ password: string | undefined } | { error: string }> {
  if (address.password !== undefined) return { password: address.password };
  if (source.passwordFile === undefined) return { password: undefined };
  try {
    return { password: (await readFile(source.passwordFile, 'utf8')).split(/\r?\n/)[0] ?? '' };
  } catch (error) {
    const reason = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
    return { error: `cannot read the password file ${source.passwordFile} (${reason})` };
  }
}
