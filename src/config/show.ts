/** How a value found in the file is quoted in a message: control characters escaped, long text cut. */
export function quote(text: string): string {
  // C0, DEL and C1 controls (terminal escapes), and bidi controls that reorder what a terminal shows.
  const visible = text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `'${visible.length > 200 ? `${visible.slice(0, 200)}…` : visible}'`;
}

/** What was found where something else was expected: `number 5`, `an array`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `string ${quote(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
