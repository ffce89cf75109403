import { quote } from '../config/show.js';
import { MirrorsyncError } from '../errors.js';

// rsync reads more than patterns from a filter rule: merge files (`.`, `:`), modifiers that change a
// rule's side or meaning, `!` (clear). Only these three plain rules are taken.
const RULE = /^([-+P]) (\S.*)$/;
// Names mirrorsync owns in the tree: its state folder and rsync's staging dir.
const OWNED = /\.mirrorsync|\.~mirrorsync-partial~/;
const MAX_RULE_LENGTH = 4096;

/** What is wrong with one filter rule of a partial mirror, or undefined. */
export function checkFilterRule(rule: string): string | undefined {
  if (rule.length > MAX_RULE_LENGTH) return `is longer than ${MAX_RULE_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(rule)) return `must not contain control characters, got ${quote(rule)}`;
  const match = RULE.exec(rule);
  if (match === null) {
    return `must be '- PATTERN' (exclude), '+ PATTERN' (include) or 'P PATTERN' (protect), one space after the rule; merge rules, modifiers and other rules are refused; got ${quote(rule)}`;
  }
  if (OWNED.test(match[2] ?? '')) return `must not name mirrorsync's own files (.mirrorsync, .~mirrorsync-partial~), got ${quote(rule)}`;
  return undefined;
}

/**
 * The rsync arguments of a partial mirror's rules. Excludes and includes act on the sender's side
 * only (`-s`, `+s`): what they leave out is then extraneous on our side and `--delete-after`
 * removes it (under --max-delete), so a partial mirror shrinks to what it keeps, while our own
 * exclude of the state folder, which comes first, still hides it on both sides.
 */
export function partialFilterArgs(rules: readonly string[]): string[] {
  return rules.map((rule) => {
    const problem = checkFilterRule(rule);
    if (problem !== undefined) throw new MirrorsyncError('config.invalid', `filters: ${problem}`);
    const kind = rule[0];
    return `--filter=${kind === 'P' ? 'P' : `${kind}s`}${rule.slice(1)}`;
  });
}
