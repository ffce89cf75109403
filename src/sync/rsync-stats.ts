/** What rsync's --stats summary says about one pass. */
export interface RsyncStats {
  bytesReceived: number;
  bytesSent: number;
  filesTransferred: number;
  /** Entries in the source's file list (files, dirs, links). */
  fileCount: number | null;
  deletedFiles: number;
  /** "Total file size": the bytes of the whole tree the pass saw (what status pages call size). */
  totalFileSize: number | null;
}

export function emptyStats(): RsyncStats {
  return { bytesReceived: 0, bytesSent: 0, filesTransferred: 0, fileCount: null, deletedFiles: 0, totalFileSize: null };
}

const FIELDS: ReadonlyArray<readonly [prefix: string, key: keyof RsyncStats]> = [
  ['Total bytes received: ', 'bytesReceived'],
  ['Total bytes sent: ', 'bytesSent'],
  ['Number of regular files transferred: ', 'filesTransferred'],
  ['Number of files: ', 'fileCount'],
  ['Number of deleted files: ', 'deletedFiles'],
  ['Total file size: ', 'totalFileSize'],
];

/** Folds one output line into the stats; lines that are not part of --stats are ignored. */
export function foldStatsLine(stats: RsyncStats, line: string): void {
  for (const [prefix, key] of FIELDS) {
    if (line.startsWith(prefix)) {
      const number = /^[\d,.]+/.exec(line.slice(prefix.length))?.[0];
      if (number !== undefined) stats[key] = Number(number.replace(/[,.]/g, ''));
      return;
    }
  }
}

/**
 * A pass that fails prints no --stats, but rsync's last words often say how much had arrived:
 * "connection unexpectedly closed (506039 bytes received so far) [receiver]". Failover waste is
 * measured with it.
 */
export function foldErrorLine(stats: RsyncStats, line: string): void {
  const received = /\((\d+) bytes received so far\)/.exec(line)?.[1];
  if (received !== undefined) stats.bytesReceived = Math.max(stats.bytesReceived, Number(received));
}

/** Adds one pass's figures into a running total (several passes, several sources). */
export function addStats(total: RsyncStats, more: RsyncStats): void {
  total.bytesReceived += more.bytesReceived;
  total.bytesSent += more.bytesSent;
  total.filesTransferred += more.filesTransferred;
  total.deletedFiles += more.deletedFiles;
  // The largest file list seen is the tree's: a trace pass lists one file.
  if (more.fileCount !== null && (total.fileCount === null || more.fileCount > total.fileCount)) total.fileCount = more.fileCount;
  if (more.totalFileSize !== null && (total.totalFileSize === null || more.totalFileSize > total.totalFileSize)) total.totalFileSize = more.totalFileSize;
}
