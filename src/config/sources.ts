import type { SourceConfig } from './types.js';
import { KNOWN_KEYS, LIMITS, SOURCE_DEFAULTS } from './defaults.js';
import { Fields, readObject, type Problems } from './fields.js';
import { indexPath } from './json-path.js';
import { checkAbsolutePath, checkHttp, checkName, checkRsyncUrl } from './rules.js';
import { describeValue } from './show.js';

/** What one entry of `sources` yielded; name and master are kept even when the entry is broken. */
interface Entry {
  readonly path: string;
  readonly source: SourceConfig | undefined;
  readonly name: string | undefined;
  /** true, false, or undefined when `master` held something other than a boolean. */
  readonly master: boolean | undefined;
}

/** The `sources` array: each entry checked alone, then the rules that span entries. */
export function readSources(value: unknown, path: string, problems: Problems): SourceConfig[] {
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array of sources, got ${describeValue(value)}`);
    return [];
  }
  if (value.length === 0) {
    problems.add(path, 'must hold at least one source');
    return [];
  }
  const entries = value.map((entry: unknown, index) => readSource(entry, indexPath(path, index), problems));
  checkNamesUnique(entries, problems);
  checkOneMaster(entries, path, problems);
  return entries.flatMap((entry) => (entry.source === undefined ? [] : [entry.source]));
}

function readSource(value: unknown, path: string, problems: Problems): Entry {
  const object = readObject(value, path, KNOWN_KEYS.source, problems);
  if (object === undefined) return { path, source: undefined, name: undefined, master: false };
  const before = problems.list.length;
  const fields = new Fields(object, path, problems);
  const name = fields.string('name', checkName);
  if (!fields.has('name')) problems.add(path, "needs a 'name'");
  const urlText = fields.string('url');
  const address = urlText === undefined ? undefined : fields.take('url', checkRsyncUrl(urlText));
  const http = fields.string('http', checkHttp);
  const masterValue = fields.boolean('master');
  const master = masterValue ?? SOURCE_DEFAULTS.master;
  const priority = fields.integer('priority', LIMITS.priority) ?? SOURCE_DEFAULTS.priority;
  const passwordFile = fields.string('passwordFile', checkAbsolutePath);
  const region = fields.string('region', (text) => (text === '' ? { error: 'must not be empty' } : { value: text }));

  if (!fields.has('url') && !fields.has('http')) problems.add(path, "needs a 'url' (rsync), an 'http' (probe only), or both");
  if (master && !fields.has('url')) problems.add(fields.pathOf('url'), 'the master needs an rsync url: it is the source of last resort');
  if (fields.has('passwordFile') && !fields.has('url')) problems.add(fields.pathOf('passwordFile'), "only a source with a 'url' can have a passwordFile");
  if (passwordFile !== undefined && address?.password !== undefined) {
    problems.add(fields.pathOf('passwordFile'), 'the url already holds a password; keep only one of them');
  }
  const entry = { path, name, master: fields.has('master') ? masterValue : master };
  if (problems.list.length > before || name === undefined) return { ...entry, source: undefined };
  const source: SourceConfig = {
    name,
    ...(address === undefined || urlText === undefined ? {} : { url: urlText }),
    ...(http === undefined ? {} : { http }),
    master,
    priority,
    ...(passwordFile === undefined ? {} : { passwordFile }),
    ...(region === undefined ? {} : { region }),
  };
  return { ...entry, source };
}

function checkNamesUnique(entries: readonly Entry[], problems: Problems): void {
  const seen = new Map<string, string>();
  for (const { path, name } of entries) {
    if (name === undefined) continue;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, path);
    else problems.add(`${path}.name`, `'${name}' is already the name of ${first}; names must be unique`);
  }
}

function checkOneMaster(entries: readonly Entry[], path: string, problems: Problems): void {
  const masters = entries.filter((entry) => entry.master === true);
  const [first, ...extra] = masters;
  // A `master` that is not a boolean was reported already; "no master" would only add noise.
  if (first === undefined && entries.every((entry) => entry.master !== undefined)) {
    problems.add(path, 'no source is the master; mark exactly one with "master": true');
    return;
  }
  for (const entry of extra) problems.add(`${entry.path}.master`, `only one source may be the master; ${first?.path ?? ''} already is`);
}
