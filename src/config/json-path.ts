/** JSON paths as shown in config messages: `sources[2].url`, `rsync.args[1]`, `hooks["on success"]`. */
export const ROOT_PATH = '(root)';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function childPath(parent: string, key: string): string {
  const part = IDENTIFIER.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (parent === '' || parent === ROOT_PATH) return part.startsWith('[') ? `${ROOT_PATH}${part}` : part;
  return part.startsWith('[') ? `${parent}${part}` : `${parent}.${part}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent === '' ? ROOT_PATH : parent}[${index}]`;
}
