/**
 * A small, strict reader of the Prometheus text exposition format (0.0.4), used to check what
 * renderMetrics writes. It throws on anything the format does not allow, with the line number.
 */
export interface PromSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly help: string;
  readonly type: string;
  readonly samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseProm(text: string): Map<string, PromFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the last line does not end with a newline');
  const families = new Map<string, { help?: string; type?: string; samples: PromSample[] }>();
  const seriesSeen = new Set<string>();
  const closed = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new Error(`line ${index + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    const enter = (name: string): { help?: string; type?: string; samples: PromSample[] } => {
      if (current !== name) {
        if (current !== undefined) closed.add(current);
        if (closed.has(name)) fail(`lines of ${name} are not grouped together`);
        current = name;
      }
      let family = families.get(name);
      if (family === undefined) families.set(name, (family = { samples: [] }));
      return family;
    };
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (meta === null) return; // a plain comment
      const [, kind, name = '', rest = ''] = meta;
      if (!METRIC_NAME.test(name)) fail('invalid metric name');
      const family = enter(name);
      if (family.samples.length > 0) fail(`${kind} after samples`);
      if (kind === 'HELP') {
        if (family.help !== undefined) fail('second HELP');
        family.help = unescape(rest, false, fail);
      } else {
        if (family.type !== undefined) fail('second TYPE');
        if (!TYPES.has(rest.trim())) fail('unknown type');
        family.type = rest.trim();
      }
      return;
    }
    const name = /^[^\s{]+/.exec(line)?.[0] ?? fail('no metric name');
    if (!METRIC_NAME.test(name)) fail('invalid metric name');
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest, fail);
      Object.assign(labels, parsed.labels);
      rest = rest.slice(parsed.length);
    }
    const fields = rest.trim().split(/\s+/);
    if (!/^\s/.test(rest) || fields.length < 1 || fields.length > 2) fail('expected a value and an optional timestamp');
    const value = parseValue(fields[0] ?? '', fail);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) fail('invalid timestamp');
    const family = enter(name);
    if (family.help === undefined || family.type === undefined) fail('sample before its HELP and TYPE');
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seriesSeen.has(key)) fail('duplicate series');
    seriesSeen.add(key);
    family.samples.push({ labels, value });
  });
  const result = new Map<string, PromFamily>();
  for (const [name, family] of families) {
    result.set(name, { help: family.help ?? '', type: family.type ?? 'untyped', samples: family.samples });
  }
  return result;
}

/**
 * What node_exporter's textfile collector does with every *.prom file of its directory: parse
 * each, then gather the families together. As Prometheus' registry does, it refuses a family
 * whose HELP or TYPE differs between files, and a series (name and labels) seen twice.
 */
export function gatherProm(files: ReadonlyArray<readonly [string, string]>): Map<string, PromFamily> {
  const gathered = new Map<string, PromFamily>();
  const seen = new Set<string>();
  for (const [file, text] of files) {
    for (const [name, family] of parseProm(text)) {
      const known = gathered.get(name);
      if (known !== undefined && known.help !== family.help) throw new Error(`${file}: ${name} has help ${JSON.stringify(family.help)} but should have ${JSON.stringify(known.help)}`);
      if (known !== undefined && known.type !== family.type) throw new Error(`${file}: ${name} has type ${family.type} but should have ${known.type}`);
      for (const sample of family.samples) {
        const key = `${name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
        if (seen.has(key)) throw new Error(`${file}: ${key} was collected before with the same name and label values`);
        seen.add(key);
      }
      gathered.set(name, { help: family.help, type: family.type, samples: [...(known?.samples ?? []), ...family.samples] });
    }
  }
  return gathered;
}

function parseLabels(text: string, fail: (why: string) => never): { labels: Record<string, string>; length: number } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === '}') return { labels, length: i + 1 };
    const name = /^[^=\s]+/.exec(text.slice(i))?.[0] ?? fail('expected a label name');
    if (!LABEL_NAME.test(name)) fail(`invalid label name ${name}`);
    if (name in labels) fail(`label ${name} twice`);
    i += name.length;
    if (text.slice(i, i + 2) !== '="') fail('expected =" after a label name');
    i += 2;
    let raw = '';
    while (text[i] !== '"') {
      if (i >= text.length) fail('unterminated label value');
      if (text[i] === '\\') raw += text[i++];
      raw += text[i++] ?? '';
    }
    i++;
    labels[name] = unescape(raw, true, fail);
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('expected , or } after a label value');
  }
}

function unescape(raw: string, quotes: boolean, fail: (why: string) => never): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\n') fail('raw newline');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === '"' && quotes) out += '"';
    else fail(`invalid escape \\${next ?? ''}`);
  }
  return out;
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!FLOAT.test(text)) fail(`value ${text} is not a float`);
  return Number(text);
}
