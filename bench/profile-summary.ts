// Summarises a V8 .cpuprofile (from `npm run bench -- --only=webhook --cpu-prof`, or any `node --cpu-prof`):
// self time by function and by file, so a missed target can be traced to its code.
//   node dist/bench/profile-summary.js <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

function main(argv: string[]): void {
  const [file, topArg = '25'] = argv;
  if (!file) throw new Error('usage: profile-summary.js <file.cpuprofile> [top]');
  const top = Number(topArg);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  // Self time per node: the time deltas of the samples that landed in it.
  const selfUs = new Map<number, number>();
  (p.samples ?? []).forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas?.[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const where = url ? relative(process.cwd(), url) : '(native)';
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    const group = where.includes('node_modules/')
      ? `node_modules/${where
          .split('node_modules/')[1]
          ?.split('/')
          .slice(0, where.includes('node_modules/@') ? 2 : 1)
          .join('/')}`
      : where;
    byFile.set(group, (byFile.get(group) ?? 0) + us);
  }
  const show = (title: string, m: Map<string, number>) => {
    process.stdout.write(`\n${title} (self time, total ${(total / 1000).toFixed(0)} ms)\n`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      process.stdout.write(
        `${((100 * us) / total).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`,
      );
  };
  show('by function', byFn);
  show('by file or package', byFile);
}

main(process.argv.slice(2));
