/**
 * A run outlives its terminal: an ssh session dropped during a bootstrap hangs the terminal up
 * (SIGHUP), and every later write to it fails (EIO on a terminal, EPIPE on a pipe). Neither may
 * end the run: that would leave rsync writing, unwatched, and the status saying `running`.
 */
export function surviveTerminalLoss(streams: readonly NodeJS.WriteStream[]): void {
  // Node's default for SIGHUP is to exit. A command with a log file reopens it on SIGHUP (its own
  // listener); for every command, a hangup is simply not an ending.
  process.on('SIGHUP', () => undefined);
  // The terminal or the reader is gone: what was meant for it has nowhere to go, and the run
  // goes on (its log file, status.json and metrics still say what happens).
  for (const stream of streams) stream.on('error', () => undefined);
}
