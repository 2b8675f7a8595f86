// The runner's report: failing cases with their first differences, a table per category, the total line.
import type { Case, Mode } from './cases';
import type { ModeResult } from './outcome';

export interface CaseResult {
  c: Case;
  modes: Partial<Record<Mode, ModeResult>>;
  /** Set when the case failed before any mode ran (engine missing, bad config). */
  error?: string;
}

export function casePassed(r: CaseResult): boolean {
  return r.error === undefined && r.c.modes.every((m) => r.modes[m]?.ok === true);
}

export function formatFailures(results: CaseResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (casePassed(r)) continue;
    lines.push(`FAIL ${r.c.name} [${r.c.category}]`);
    if (r.error !== undefined) lines.push(`  ${r.error}`);
    for (const m of r.c.modes) {
      const mr = r.modes[m];
      if (!mr || mr.ok) continue;
      lines.push(`  ${m}:`);
      for (const p of mr.problems) lines.push(`    ${p}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function formatTable(results: CaseResult[]): string {
  const rows = new Map<string, { cases: number; passed: number; modes: Record<Mode, [number, number]> }>();
  const row = (k: string) => {
    let r = rows.get(k);
    if (!r) {
      r = { cases: 0, passed: 0, modes: { 'kube-inject': [0, 0], webhook: [0, 0] } };
      rows.set(k, r);
    }
    return r;
  };
  for (const res of results) {
    for (const key of [res.c.category, '(total)']) {
      const r = row(key);
      r.cases++;
      if (casePassed(res)) r.passed++;
      for (const m of res.c.modes) {
        r.modes[m][1]++;
        if (res.error === undefined && res.modes[m]?.ok) r.modes[m][0]++;
      }
    }
  }
  const keys = [...rows.keys()].filter((k) => k !== '(total)').sort();
  keys.push('(total)');
  const header = ['category', 'cases', 'passed', 'failed', 'kube-inject', 'webhook'];
  const table = keys.map((k) => {
    const r = rows.get(k) ?? row(k);
    const ratio = ([p, n]: [number, number]) => (n === 0 ? '-' : `${p}/${n}`);
    return [
      k,
      r.cases,
      r.passed,
      r.cases - r.passed,
      ratio(r.modes['kube-inject']),
      ratio(r.modes.webhook),
    ].map(String);
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...table.map(fmt)].join('\n') + '\n';
}

export function formatTotal(results: CaseResult[]): string {
  const passed = results.filter(casePassed).length;
  return `${passed} passed, ${results.length - passed} failed`;
}

/** How many kube-inject outputs equal their expected file as text (upstream compares text). */
export function formatTextIdentity(results: CaseResult[]): string {
  const modes = results.map((r) => r.modes['kube-inject']).filter((m) => m?.textIdentical !== undefined);
  const same = modes.filter((m) => m?.textIdentical).length;
  return `kube-inject output byte-identical to want: ${same}/${modes.length}\n`;
}
