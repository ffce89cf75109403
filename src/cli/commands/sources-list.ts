import { loadCommandConfig } from '../command-config.js';
import { redactUrl } from '../../sources/address.js';
import type { CliContext } from '../context.js';
import { renderTable } from '../table.js';

export interface SourcesListOptions {
  readonly config?: string;
  readonly json?: boolean;
}

export async function sourcesListCommand(options: SourcesListOptions, context: CliContext): Promise<number> {
  const config = await loadCommandConfig({ config: options.config }, context);
  const sources = config.sources.map((source) => ({
    name: source.name,
    url: source.url === undefined ? null : redactUrl(source.url),
    http: source.http ?? null,
    master: source.master,
    priority: source.priority,
    region: source.region ?? null,
    probeOnly: source.url === undefined,
  }));
  if (options.json === true) {
    context.stdout.write(`${JSON.stringify({ name: config.name, config: config.file, trace: config.trace ?? null, sources }, null, 2)}\n`);
    return 0;
  }
  const rows = sources.map((source) => [
    source.name,
    source.master ? 'master' : source.probeOnly ? 'probe-only' : 'mirror',
    String(source.priority),
    source.region ?? '',
    source.url ?? source.http ?? '',
  ]);
  context.stdout.write(`${config.name}: ${sources.length} sources (${config.file})\n`);
  context.stdout.write(renderTable(['NAME', 'ROLE', 'PRIO', 'REGION', 'ADDRESS'], rows));
  return 0;
}
