// The conformance runner: `npm run conformance -- DIR [--allow-failures] [--min-pass N] [--only RE]`.
// Runs every case of DIR/cases.yaml in each of its modes and prints failures, a table per category and
// the final line `N passed, M failed`. Exits non-zero iff a case failed (or fewer than --min-pass passed).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseFlags, UsageError, usage, type FlagSpec } from '../../lib/flags';
import { caseConfig, caseNamespaces } from './case-config';
import { loadSuite, type Case, type Suite } from './cases';
import { loadEngine, type Engine } from './engine';
import { runKubeInjectMode } from './kube-inject-mode';
import { errorMessage } from '../../lib/errors';
import { fail } from './outcome';
import {
  casePassed,
  formatFailures,
  formatTable,
  formatTextIdentity,
  formatTotal,
  type CaseResult,
} from './report';
import { runWebhookMode } from './webhook-mode';

const FLAGS: Record<string, FlagSpec> = {
  'allow-failures': { kind: 'boolean', help: 'exit 0 even when cases fail' },
  'min-pass': { kind: 'number', help: 'exit non-zero only when fewer than N cases pass' },
  only: { kind: 'string', help: 'run only cases whose name matches this regular expression' },
  'max-diffs': { kind: 'number', default: 8, help: 'differing paths shown per failing case and mode' },
  'summary-file': { kind: 'string', help: 'also write the report to this file' },
  help: { kind: 'boolean', alias: 'h', help: 'show this help' },
};

export async function main(argv: string[]): Promise<number> {
  let flags;
  let positional;
  try {
    ({ flags, positional } = parseFlags(argv, FLAGS));
    if (flags.help) {
      process.stdout.write(usage('conformance DIR', 'Run an injection conformance suite', FLAGS));
      return 0;
    }
    if (positional.length !== 1) throw new UsageError('expected exactly one conformance directory');
  } catch (err) {
    process.stderr.write(`conformance: ${errorMessage(err)}\n`);
    return 2;
  }
  let suite: Suite;
  try {
    suite = loadSuite(resolve(positional[0]));
  } catch (err) {
    process.stderr.write(`conformance: ${errorMessage(err)}\n`);
    return 2;
  }
  const only = typeof flags.only === 'string' ? new RegExp(flags.only) : undefined;
  const cases = suite.cases.filter((c) => !only || only.test(c.name));
  const loaded = await loadEngine();
  const maxDiffs = typeof flags['max-diffs'] === 'number' ? flags['max-diffs'] : 8;
  const started = process.hrtime.bigint();
  const results = cases.map((c) => runCase(loaded.ok ? loaded.engine : loaded.error, suite, c, maxDiffs));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;

  const report =
    formatFailures(results) +
    '\n' +
    formatTable(results) +
    `\nsuite version: ${suite.version || '(none: the engine uses the version it was built for)'}\n` +
    `${cases.length} cases in ${ms.toFixed(0)} ms\n` +
    formatTextIdentity(results) +
    `${formatTotal(results)}\n`;
  process.stdout.write(report);
  if (typeof flags['summary-file'] === 'string') {
    writeFileSync(flags['summary-file'], `# ${new Date().toISOString()} ${suite.dir}\n${report}`);
  }
  const passed = results.filter(casePassed).length;
  if (typeof flags['min-pass'] === 'number') return passed >= flags['min-pass'] ? 0 : 1;
  if (flags['allow-failures']) return 0;
  return passed === results.length ? 0 : 1;
}

function runCase(engine: Engine | string, suite: Suite, c: Case, maxDiffs: number): CaseResult {
  const result: CaseResult = { c, modes: {} };
  if (typeof engine === 'string') return { ...result, error: engine };
  let config;
  try {
    config = caseConfig(engine, suite, c);
  } catch (err) {
    return { ...result, error: `configuration: ${errorMessage(err)}` };
  }
  const namespaces = caseNamespaces(suite, c);
  for (const mode of c.modes) {
    try {
      result.modes[mode] =
        mode === 'kube-inject'
          ? runKubeInjectMode(engine, suite, c, config, namespaces, maxDiffs)
          : runWebhookMode(engine, suite, c, config, namespaces, maxDiffs);
    } catch (err) {
      result.modes[mode] = fail(`runner error: ${errorMessage(err)}`);
    }
  }
  return result;
}
