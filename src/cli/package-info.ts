import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * mirrorsync's version, from the package.json above this module: the compiled tree and the
 * bundle sit at different depths, so walk up rather than assume one.
 */
export function readPackageVersion(moduleUrl: string): string {
  for (let dir = dirname(fileURLToPath(moduleUrl)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
        if (parsed.name === 'mirrorsync' && typeof parsed.version === 'string') return parsed.version;
      } catch {
        // Not ours, or unreadable: keep looking.
      }
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}
