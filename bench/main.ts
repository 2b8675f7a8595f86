// `npm run bench [-- --quick] [-- --only=webhook,engine,apiserver,operator,upgrade,operator-memory] [-- --cpu-prof]`
// Runs the suites in order and writes bench/results/<stamp>[-quick].{json,md}. Quick mode (also
// BENCH_QUICK=1) shortens every suite so the whole run fits in about three minutes. Suites in OPTIONAL run
// only when named in --only.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../hack/cluster/binaries';
import { runApiserverBench } from './apiserver/run';
import { load1, machineInfo } from './common/machine';
import { newReport, writeReport } from './common/results';
import { runEngineBench } from './engine/run';
import { runOperatorMemoryBench } from './operator/memory';
import { runOperatorBench } from './operator/run';
import { runUpgradeBench } from './upgrade/run';
import { runWebhookBench } from './webhook/run';
import { errorMessage } from '../lib/errors';

const SUITES = ['engine', 'webhook', 'apiserver', 'operator', 'upgrade'] as const;
/** Issue 14's two-revision memory scenario: a control plane and 5,000 pods of its own, about 15 minutes. */
const OPTIONAL = ['operator-memory'] as const;
type Suite = (typeof SUITES)[number] | (typeof OPTIONAL)[number];
const KNOWN: readonly string[] = [...SUITES, ...OPTIONAL];

const say = (line: string) => process.stdout.write(`${line}\n`);

function parseArgs(argv: string[]): { quick: boolean; only: Suite[]; cpuProf: boolean } {
  let quick = process.env.BENCH_QUICK === '1';
  let only: Suite[] = [...SUITES];
  let cpuProf = false;
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a === '--cpu-prof') cpuProf = true;
    else if (a.startsWith('--only=')) {
      const names = a.slice('--only='.length).split(',');
      const bad = names.find((n) => !KNOWN.includes(n));
      if (bad) throw new Error(`unknown suite ${bad}; have ${KNOWN.join(', ')}`);
      only = names as Suite[];
    } else throw new Error(`unknown argument ${a}`);
  }
  return { quick, only, cpuProf };
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const root = repoRoot(__dirname);
  const resultsDir = join(root, 'bench', 'results');
  const report = newReport(args.quick);
  const logDir = join(resultsDir, 'logs', report.startedAt.replace(/[:.]/g, ''));
  mkdirSync(logDir, { recursive: true });
  const m = report.machineAtStart;
  say(
    `bench${args.quick ? ' (quick)' : ''}: ${m.nproc} cores, ${m.memoryGiB} GiB, load ${m.loadavg.join(' ')}; logs in ${logDir}`,
  );
  const failures: string[] = [];
  for (const suite of args.only) {
    const t0 = Date.now();
    say(`\n== ${suite} (load ${load1()})`);
    try {
      const common = { root, quick: args.quick, logDir, say };
      if (suite === 'engine') report.sections.push((await runEngineBench(common)).section);
      if (suite === 'webhook')
        report.sections.push(
          (
            await runWebhookBench({
              ...common,
              ...(args.cpuProf ? { cpuProfDir: join(logDir, 'profiles') } : {}),
            })
          ).section,
        );
      if (suite === 'apiserver') report.sections.push((await runApiserverBench(common)).section);
      if (suite === 'operator') report.sections.push((await runOperatorBench(common)).section);
      if (suite === 'upgrade') report.sections.push((await runUpgradeBench(common)).section);
      if (suite === 'operator-memory') report.sections.push((await runOperatorMemoryBench(common)).section);
    } catch (err) {
      const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push(`${suite}: ${msg}`);
      report.sections.push({
        name: `${suite}: FAILED`,
        data: { error: msg },
        markdown: '```\n' + msg + '\n```',
      });
      say(`  FAILED: ${msg}`);
    }
    say(`  (${suite}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  report.finishedAt = new Date().toISOString();
  report.machineAtEnd = machineInfo();
  const files = writeReport(resultsDir, report);
  say(`\nresults: ${files.md} and ${files.json}`);
  return failures.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`bench failed: ${errorMessage(err)}`);
    process.exit(2);
  },
);
