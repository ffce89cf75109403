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

/** "master:  45%  1.20 GiB  12.3 MiB/s  ETA 0:00:12": bytes and rate in the same binary units. */
export function formatProgress(source: string, progress: PassProgress): string {
  const rate = Number.isFinite(progress.bytesPerSecond) ? `${formatBytes(progress.bytesPerSecond)}/s` : progress.rate;
  return `${source}: ${String(progress.percent).padStart(3)}%  ${formatBytes(progress.bytes)}  ${rate}  ETA ${progress.eta}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
