import { foldErrorLine, foldStatsLine, type RsyncStats } from './rsync-stats.js';
import { parseProgress, type PassProgress } from './progress.js';
import { splitSegments, type SegmentSplitter } from '../util/split-segments.js';

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
