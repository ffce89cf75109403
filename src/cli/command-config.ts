import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { CliContext } from './context.js';

/** The config a command was pointed at with --config (and --target), resolved as DESIGN.md says. */
export function loadCommandConfig(options: { readonly config?: string | undefined; readonly target?: string | undefined }, context: CliContext): Promise<Config> {
  return loadConfig({
    ...(options.config === undefined ? {} : { file: options.config }),
    ...(options.target === undefined ? {} : { target: options.target }),
    env: context.env,
    cwd: context.cwd,
  });
}
