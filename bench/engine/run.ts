// Suite 2: injections per second and bytes allocated per injection of the pure `injectPod`, per pod
// shape, measured in a child process (engine/worker.ts explains the method).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, waitFor } from '../common/children';
import { load1 } from '../common/machine';
import { table, type Section, type SuiteOptions } from '../common/results';
import { round } from '../common/stats';
import type { EngineResult } from './worker';

export async function runEngineBench(
  o: SuiteOptions,
): Promise<{ section: Section; results: EngineResult[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwright-bench-engine-'));
  const out = join(dir, 'engine.json');
  const durationMs = o.quick ? 1_000 : 5_000;
  const l = load1();
  const child = startChild(
    'engine',
    [join(o.root, 'dist', 'bench', 'engine', 'worker.js'), o.root, String(durationMs), out],
    join(o.logDir, 'engine.log'),
    ['--expose-gc'],
  );
  await waitFor(
    'engine worker',
    async () => {
      const e = child.exited();
      if (e && !/exit code 0/.test(e)) throw new Error(e);
      return e !== undefined;
    },
    30 * 60_000,
  );
  const results = JSON.parse(readFileSync(out, 'utf8')) as EngineResult[];
  rmSync(dir, { recursive: true, force: true });
  const lEnd = load1();
  for (const r of results)
    o.say(
      `  ${r.shape.padEnd(26)} ${round(r.injectionsPerSecond)} inj/s, p50 ${round(r.callMs.p50)} ms, ` +
        `p99 ${round(r.callMs.p99)} ms, ${round(r.bytesPerInjection / 1024)} KiB allocated/injection`,
    );
  const markdown = [
    `One process, \`injectPod\` called in a loop per shape (${durationMs / 1000} s after a warm-up). ` +
      `Allocation: v8.GCProfiler around about a second's worth of calls; bytes = heap used after - before + ` +
      `bytes freed by each GC in between. Load average ${l} at start, ${lEnd} at end.`,
    '',
    table(
      ['pod', 'injections/s', 'call p50 ms', 'call p99 ms', 'KiB allocated / injection', 'patch ops'],
      results.map((r) => [
        r.shape,
        round(r.injectionsPerSecond),
        round(r.callMs.p50),
        round(r.callMs.p99),
        round(r.bytesPerInjection / 1024),
        r.patchOperations,
      ]),
    ),
  ].join('\n');
  return {
    section: { name: 'Engine (pure injectPod)', data: { load1: [l, lEnd], results }, markdown },
    results,
  };
}
