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
