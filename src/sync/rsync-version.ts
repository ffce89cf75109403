import { execFile } from 'node:child_process';

export interface RsyncVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly text: string;
}

/** The version in `rsync --version`'s first line ("rsync  version 3.2.7  protocol version 31"). Pure. */
export function parseRsyncVersion(output: string): RsyncVersion | undefined {
  const firstLine = output.slice(0, 200).split('\n', 1)[0] ?? '';
  const m = /^rsync\s+version\s+v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?(\S*)/.exec(firstLine);
  if (m === null) return undefined;
  const [major, minor, patch] = [m[1], m[2], m[3] ?? '0'].map(Number) as [number, number, number];
  return { major, minor, patch, text: `${m[1]}.${m[2]}${m[3] === undefined ? '' : `.${m[3]}`}${m[4] ?? ''}` };
}

/**
 * The warning for an rsync older than 3.4.0, or undefined. A version number cannot tell a patched
 * build (Debian backports the fixes to older numbers), hence a warning only, and the switch.
 */
export function cveWarning(version: RsyncVersion | undefined, binary: string): string | undefined {
  if (version === undefined) return undefined;
  const { major, minor } = version;
  if (major > 3 || (major === 3 && minor >= 4)) return undefined;
  return (
    `${binary} is rsync ${version.text}, older than 3.4.0: unless your distribution patched it, CVE-2024-12084 to 12088 ` +
    'let a malicious source read or write files on this host (heap overflow, info leak, arbitrary file read, path traversal, --safe-links bypass). ' +
    "Upgrade rsync, or, once you checked that your distribution's build carries the fixes (Debian: 3.2.7-1+deb12u1 and later), set rsync.cve2024Patched to true"
  );
}

/** Runs `rsync --version` (a few ms; only on the path where a pass runs) and returns the warning, if any. Never rejects. */
export function checkRsyncVersion(binary: string): Promise<string | undefined> {
  return new Promise((done) => {
    execFile(binary, ['--version'], { timeout: 5000, maxBuffer: 64 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout) => {
      // A missing binary is reported by the pass itself, in its own words.
      done(error === null ? cveWarning(parseRsyncVersion(String(stdout)), binary) : undefined);
    });
  });
}
