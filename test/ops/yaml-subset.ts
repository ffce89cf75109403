// Reads the YAML subset our Kubernetes renderer writes (block maps and sequences by indentation,
// JSON scalars and flow sequences, integers, booleans, plain words), strictly: anything else,
// a tab, a duplicate key or a stray indentation is an error, so a malformed manifest fails the test.

export type YamlValue = string | number | boolean | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly number: number;
  indent: number;
  text: string;
}

export function parseYamlSubset(text: string): YamlValue {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.includes('\t')) throw new Error(`line ${index + 1}: tab`);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    lines.push({ number: index + 1, indent: raw.length - raw.trimStart().length, text: trimmed });
  });
  let at = 0;
  const fail = (line: Line | undefined, why: string): never => {
    throw new Error(`line ${line?.number ?? 'end'}: ${why}${line === undefined ? '' : `: ${JSON.stringify(line.text)}`}`);
  };

  const block = (): YamlValue => {
    const first = lines[at] ?? fail(undefined, 'value expected');
    return first.text.startsWith('- ') ? sequence(first.indent) : map(first.indent);
  };

  const map = (indent: number): { [key: string]: YamlValue } => {
    const out: { [key: string]: YamlValue } = {};
    for (let line = lines[at]; line !== undefined && line.indent === indent && !line.text.startsWith('- '); line = lines[at]) {
      const match = /^([A-Za-z0-9_./-]+):(?: (.+))?$/.exec(line.text) ?? fail(line, 'not a key');
      const key = match[1] ?? '';
      if (Object.hasOwn(out, key)) fail(line, 'duplicate key');
      at += 1;
      if (match[2] !== undefined) out[key] = scalar(match[2], line);
      else if ((lines[at]?.indent ?? -1) > indent) out[key] = block();
      else fail(line, 'key without a value');
    }
    const next = lines[at];
    if (next !== undefined && next.indent > indent) fail(next, 'unexpected indentation');
    return out;
  };

  const sequence = (indent: number): YamlValue[] => {
    const out: YamlValue[] = [];
    for (let line = lines[at]; line !== undefined && line.indent === indent && line.text.startsWith('- '); line = lines[at]) {
      // "- key: value" opens a map whose keys sit two columns right of the dash.
      line.indent += 2;
      line.text = line.text.slice(2);
      if (/^[A-Za-z0-9_./-]+:( |$)/.test(line.text)) out.push(map(indent + 2));
      else {
        at += 1;
        out.push(scalar(line.text, line));
      }
    }
    return out;
  };

  const scalar = (value: string, line: Line): YamlValue => {
    if (value.startsWith('"') || value.startsWith('[')) {
      try {
        return JSON.parse(value) as YamlValue;
      } catch {
        return fail(line, 'bad JSON scalar');
      }
    }
    if (/^-?\d+$/.test(value)) return Number(value);
    if (value === 'true' || value === 'false') return value === 'true';
    if (!/^[A-Za-z0-9_./-]+$/.test(value)) fail(line, 'plain scalar with special characters');
    return value;
  };

  const root = block();
  if (at !== lines.length) fail(lines[at], 'trailing content');
  return root;
}

/** Follows a path of keys and indexes; throws naming the path when it does not exist. */
export function pick(value: YamlValue, ...path: Array<string | number>): YamlValue {
  let current: YamlValue = value;
  for (const step of path) {
    const next: YamlValue | undefined =
      typeof step === 'number' ? (Array.isArray(current) ? current[step] : undefined)
      : typeof current === 'object' && !Array.isArray(current) ? current[step]
      : undefined;
    if (next === undefined) throw new Error(`no ${path.join('.')} (stopped at ${String(step)})`);
    current = next;
  }
  return current;
}
