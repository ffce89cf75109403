// Reads systemd unit files for tests: the "# --- path ---" parts of what `schedule` prints, and
// each part's [Section] Key=Value pairs (repeated keys kept in order).

/** Splits printed text into files by its `# --- /etc/systemd/system/NAME ---` lines. */
export function splitUnitFiles(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const header = /^# --- (\/etc\/systemd\/system\/[^ ]+) ---$/.exec(line);
    if (header?.[1] !== undefined) {
      current = header[1];
      if (files.has(current)) throw new Error(`${current} printed twice`);
      files.set(current, '');
    } else if (current !== undefined) files.set(current, `${files.get(current) ?? ''}${line}\n`);
  }
  return files;
}

export type UnitSections = Map<string, Map<string, string[]>>;

/** Sections and keys of one unit file; throws on a line that is neither comment, section nor key. */
export function parseUnit(text: string): UnitSections {
  const sections: UnitSections = new Map();
  let section: Map<string, string[]> | undefined;
  text.split('\n').forEach((line, index) => {
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const head = /^\[([A-Za-z]+)\]$/.exec(line);
    if (head?.[1] !== undefined) {
      if (sections.has(head[1])) throw new Error(`line ${index + 1}: section [${head[1]}] twice`);
      section = new Map();
      sections.set(head[1], section);
      return;
    }
    const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (pair?.[1] === undefined || pair[2] === undefined || section === undefined) throw new Error(`line ${index + 1}: not a key: ${JSON.stringify(line)}`);
    section.set(pair[1], [...(section.get(pair[1]) ?? []), pair[2]]);
  });
  return sections;
}

/** The one value of a key; throws when it is missing or repeated. */
export function unitValue(unit: UnitSections, section: string, key: string): string {
  const values = unit.get(section)?.get(key) ?? [];
  if (values.length !== 1 || values[0] === undefined) throw new Error(`[${section}] ${key}: ${values.length} values`);
  return values[0];
}
