import type { PassProgress } from '../sync/progress.js';

export interface ProgressLine {
  update(source: string, progress: PassProgress): void;
  /** Erases the line, so what follows starts on a clean line. */
  clear(): void;
}

const REDRAW_EVERY_MS = 200;

/** One line on a terminal, redrawn in place at most five times a second. */
export function createProgressLine(stream: NodeJS.WritableStream, now: () => number = Date.now): ProgressLine {
  let lastDraw = 0;
  let drawn = false;
  return {
    update(source, progress) {
      const time = now();
      if (time - lastDraw < REDRAW_EVERY_MS && progress.percent < 100) return;
      lastDraw = time;
      drawn = true;
      stream.write(`\r\x1b[K${formatProgress(source, progress)}`);
    },
    clear() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

export function formatProgress(source: string, progress: PassProgress): string {
  const mib = (progress.bytes / 1_048_576).toFixed(1);
  return `${source}: ${String(progress.percent).padStart(3)}%  ${mib} MiB  ${progress.rate}  ETA ${progress.eta}`;
}
