import { createHash } from 'node:crypto';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-assets.js';
import type { Band } from './score.js';
import { formatAge, type HistogramBin, type MirrorSummary, type NetworkSummary } from './summary.js';
import type { OwnStatus } from './types.js';

/** A word and a symbol for each band, so the page reads without colour too. */
export const BAND_MARKS: Readonly<Record<Band | 'suspect', { readonly symbol: string; readonly word: string }>> = {
  fresh: { symbol: '●', word: 'fresh' },
  oldish: { symbol: '◐', word: 'oldish' },
  old: { symbol: '○', word: 'old' },
  bad: { symbol: '✖', word: 'bad' },
  suspect: { symbol: '?', word: 'suspect check, not counted' },
};
const BAND_ORDER: Readonly<Record<Band, number>> = { fresh: 0, oldish: 1, old: 2, bad: 3 };

/** Escapes text for HTML content and quoted attributes: everything from a mirror goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The self-contained page: no request leaves it, and only our own inline style and script run (CSP by hash). */
export function renderReportPage(summary: NetworkSummary, title: string): string {
  const csp = `default-src 'none'; style-src '${sha256(PAGE_STYLE)}'; script-src '${sha256(PAGE_SCRIPT)}'; img-src data:; base-uri 'none'; form-action 'none'`;
  const checked = summary.lastCheck === null ? 'never' : iso(summary.lastCheck);
  const frequency = summary.checkFrequency === null ? '' : `, about every ${formatAge(summary.checkFrequency)}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)} mirrors</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head><body>',
    `<h1>${escapeHtml(title)} mirrors</h1>`,
    `<p class="meta">Last check <time id="checked" datetime="${checked}">${checked}</time>; ${summary.numChecks} checks in the last ${formatAge(summary.cutoffSeconds)}${frequency}. Report written ${iso(summary.now)}.</p>`,
    '<h2>Age of the mirrors</h2>',
    renderHistogram(summary.histogram),
    '<h2>Mirrors</h2>',
    '<table id="mirrors"><thead><tr>',
    ['Mirror', 'Protocols', 'Lag behind master', 'Last check', 'Last checks', 'Score', 'Band', 'Last error', 'Its own last run', 'What is wrong'].map((name) => `<th scope="col">${name}</th>`).join(''),
    '</tr></thead><tbody>',
    ...summary.mirrors.map(renderRow),
    '</tbody></table>',
    `<p class="legend">${(Object.keys(BAND_MARKS) as (keyof typeof BAND_MARKS)[]).map((band) => `<span><span class="cell band-${band}">${BAND_MARKS[band].symbol}</span> ${BAND_MARKS[band].word}</span>`).join('')}</p>`,
    '<p class="meta">fresh: at most a day and a check interval old; oldish: at most two days; old: older; bad: no readable trace. Score as archweb: (delay hours + duration avg + duration σ) / completion, lower is better.</p>',
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

function renderRow(mirror: MirrorSummary): string {
  const mark = BAND_MARKS[mirror.band];
  const cells = [
    `<td data-sort="${escapeHtml(mirror.name)}">${escapeHtml(mirror.name)}${mirror.master ? '<span class="tag">master</span>' : ''}</td>`,
    `<td>${mirror.protocols.join(', ')}</td>`,
    `<td class="num" data-sort="${mirror.lagSeconds ?? ''}">${mirror.lagSeconds === null ? '—' : mirror.lagSeconds === 0 ? '0' : formatAge(mirror.lagSeconds)}</td>`,
    `<td data-sort="${mirror.lastCheck?.getTime() ?? ''}">${mirror.lastCheck === null ? '—' : shortTime(mirror.lastCheck)}</td>`,
    `<td class="cells" data-sort="${mirror.history.filter((cell) => cell.state === 'bad').length}">${mirror.history
      .map((cell) => `<span class="cell band-${cell.state}" data-state="${cell.state}" title="${iso(cell.at)}: ${BAND_MARKS[cell.state].word}">${BAND_MARKS[cell.state].symbol}</span>`)
      .join('')}</td>`,
    `<td class="num" data-sort="${mirror.score === null ? '' : mirror.score.toFixed(3)}">${mirror.score === null ? '—' : mirror.score.toFixed(2)}</td>`,
    `<td class="band band-${mirror.band}" data-band="${mirror.band}" data-sort="${BAND_ORDER[mirror.band]}">${mark.symbol} ${mark.word}</td>`,
    `<td class="text">${escapeHtml(mirror.lastError ?? '—')}</td>`,
    `<td class="text">${escapeHtml(mirror.answered ? describeOwn(mirror.own) : '—')}</td>`,
    `<td class="text wrong">${escapeHtml(mirror.wrong === '' ? 'nothing' : mirror.wrong)}</td>`,
  ];
  return `<tr id="mirror-${escapeHtml(mirror.name)}" data-mirror="${escapeHtml(mirror.name)}">${cells.join('')}</tr>`;
}

function describeOwn(own: OwnStatus | null): string {
  if (own === null) return 'publishes nothing';
  if (own.result === null) return own.problem ?? 'unreadable';
  const when = own.endedAt === null ? '' : ` at ${own.endedAt}`;
  return `${own.result}${when}${own.error === null ? '' : `: ${own.error}`}`;
}

const SVG_W = 560;
const SVG_H = 170;

function renderHistogram(bins: readonly HistogramBin[]): string {
  const max = Math.max(1, ...bins.map((bin) => bin.count));
  const slot = SVG_W / bins.length;
  const plot = SVG_H - 40;
  const bars = bins.map((bin, index) => {
    const height = Math.round((bin.count / max) * plot);
    const x = Math.round(index * slot + 6);
    const y = 20 + plot - height;
    const fill = bin.label === 'bad' ? '#e06666' : index < 3 ? '#6aa84f' : index < 4 ? '#f1c232' : '#e69138';
    return [
      `<g class="bar" data-label="${escapeHtml(bin.label)}" data-count="${bin.count}">`,
      `<title>${escapeHtml(bin.label)}: ${bin.count} mirror${bin.count === 1 ? '' : 's'}</title>`,
      `<rect x="${x}" y="${y}" width="${Math.round(slot - 12)}" height="${height}" fill="${fill}"></rect>`,
      `<text x="${Math.round(x + (slot - 12) / 2)}" y="${y - 4}" text-anchor="middle">${bin.count}</text>`,
      `<text x="${Math.round(x + (slot - 12) / 2)}" y="${SVG_H - 6}" text-anchor="middle">${escapeHtml(bin.label)}</text>`,
      '</g>',
    ].join('');
  });
  return `<svg id="histogram" role="img" aria-label="Mirrors by age of their copy" width="${SVG_W}" height="${SVG_H}" viewBox="0 0 ${SVG_W} ${SVG_H}" xmlns="http://www.w3.org/2000/svg">${bars.join('')}</svg>`;
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

function shortTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/:\d{2}\.\d{3}Z$/, 'Z');
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
