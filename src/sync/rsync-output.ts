import { foldErrorLine, foldStatsLine, type RsyncStats } from './rsync-stats.js';
import { parseProgress, type PassProgress } from './progress.js';

/**
 * rsync's output arrives in chunks that cut lines anywhere; `--info=progress2` ends its updates
 * with `\r` (one line rewritten about once a second, even inside one big file) and everything
 * else with `\n`. Calls `onSegment` with each complete piece of text between two of them.
 */
export interface SegmentSplitter {
  push(chunk: string): void;
  /** Hands over what is left after the last separator. */
  end(): void;
}

// rsync's own lines are short; a longer run of text without a separator is cut, never kept whole.
const MAX_SEGMENT_CHARS = 16 * 1024;

export function splitSegments(onSegment: (segment: string) => void): SegmentSplitter {
  let partial = '';
  return {
    push(chunk) {
      let start = 0;
      for (let index = 0; index < chunk.length; index += 1) {
        const code = chunk.charCodeAt(index);
        if (code !== 10 && code !== 13) continue;
        const segment = partial + chunk.slice(start, index);
        partial = '';
        start = index + 1;
        if (segment !== '') onSegment(segment);
      }
      partial = (partial + chunk.slice(start)).slice(0, MAX_SEGMENT_CHARS);
    },
    end() {
      if (partial !== '') onSegment(partial);
      partial = '';
    },
  };
}

/**
 * What node reads of a pass's stdout, now that rsync writes its per-file log itself: the
 * progress updates and the --stats summary, nothing per file.
 */
export function readPassStdout(stats: RsyncStats, onProgress: ((progress: PassProgress) => void) | undefined): SegmentSplitter {
  return splitSegments((segment) => {
    const progress = onProgress === undefined ? undefined : parseProgress(segment);
    if (progress !== undefined) onProgress?.(progress);
    else foldStatsLine(stats, segment);
  });
}

/** rsync's stderr: its error messages, folded into the stats and kept (the last `keep`) for classifying the exit. */
export function readPassStderr(stats: RsyncStats, lines: string[], keep: number): SegmentSplitter {
  return splitSegments((line) => {
    foldErrorLine(stats, line);
    lines.push(line);
    if (lines.length > keep) lines.shift();
  });
}
