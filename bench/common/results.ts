// One bench run's output: every section contributes JSON data and a Markdown part; both are written to
// bench/results/<UTC stamp>[-quick].{json,md} (the JSON is git-ignored, the Markdown of a final run is kept).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo, type MachineInfo } from './machine';

/** What every suite is given by bench/main.ts. */
export interface SuiteOptions {
  root: string;
  quick: boolean;
  logDir: string;
  say(line: string): void;
}

export interface Section {
  name: string;
  data: unknown;
  markdown: string;
}

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machineAtStart: MachineInfo;
  machineAtEnd: MachineInfo;
  sections: Section[];
}

/** A Markdown table; cells are converted with String(). */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const line = (cells: readonly unknown[]) => `| ${cells.map((c) => String(c)).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function writeReport(dir: string, report: RunReport): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:]/g, '').replace(/\..*$/, 'Z');
  const base = join(dir, `${stamp}${report.quick ? '-quick' : ''}`);
  const m0 = report.machineAtStart;
  const md = [
    `# Bench run ${report.startedAt}${report.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${m0.nproc} cores (${m0.cpuModel}), ${m0.memoryGiB} GiB, Node ${m0.node}. ` +
      `Load average at start ${m0.loadavg.join(' / ')}, at end ${report.machineAtEnd.loadavg.join(' / ')} ` +
      `(1/5/15 min). Finished ${report.finishedAt}.`,
    '',
    ...report.sections.flatMap((s) => [`## ${s.name}`, '', s.markdown, '']),
  ].join('\n');
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  return { json: `${base}.json`, md: `${base}.md` };
}

export function newReport(quick: boolean): RunReport {
  const m = machineInfo();
  return {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    quick,
    machineAtStart: m,
    machineAtEnd: m,
    sections: [],
  };
}
