import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Tests run from the compiled tree (dist/test/...), whatever outDir was used: find the build
// root and the repository root by walking up from this file.
const here = dirname(fileURLToPath(import.meta.url));

function findUp(start: string, marker: string): string {
  let dir = start;
  while (!existsSync(join(dir, marker))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no ${marker} above ${start}`);
    dir = parent;
  }
  return dir;
}

/** The repository checkout (holds package.json, sources.json, sources.schema.json). */
export const repoRoot = findUp(here, 'package.json');
/** The compiled output root (holds src/ and test/). */
export const buildRoot = dirname(dirname(here));
/**
 * The CLI as shipped, run with `node`: bin/mirrorsync.js, which boots this build's bundle with its
 * code cache, when the build made one in the repository's dist/ (the one bin loads); else the
 * compiled entry point (builds into other folders skip the bundle).
 */
export const cliPath =
  buildRoot === join(repoRoot, 'dist') && existsSync(join(buildRoot, 'bundle', 'mirrorsync.cjs'))
    ? join(repoRoot, 'bin', 'mirrorsync.js')
    : join(buildRoot, 'src', 'cli', 'index.js');
