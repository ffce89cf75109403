import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/types.js';

/** `--db`, else `<config's folder>/<name>-network.sqlite`. */
export function historyDbPath(config: Pick<Config, 'file' | 'name'>, db: string | undefined, cwd: string): string {
  return db === undefined ? join(dirname(config.file), `${config.name}-network.sqlite`) : resolve(cwd, db);
}
