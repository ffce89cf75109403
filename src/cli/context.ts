/** What a command may touch of the outside world; tests run commands in-process with their own. */
export interface CliContext {
  readonly signal: AbortSignal;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly version: string;
  /** The script node was started with (bin/mirrorsync.js, or the compiled entry): what schedules should call. */
  readonly entryScript: string;
}
