// Child process of suite 2: the pure engine alone, away from the load generator's heap.
//   node --expose-gc dist/bench/engine/worker.js <root> <durationMs> <out.json>
// Throughput: injectPod in a loop per pod shape after a warm-up, each call timed with hrtime.
// Allocation: v8.GCProfiler around a batch of calls; bytes allocated = heap used after - heap used
// before + what every GC in between freed (each GC's used size before minus after). That counts all
// JS heap allocation of the batch, including garbage collected during it, without sampling error.
import { writeFileSync } from 'node:fs';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { buildInjectionConfig, injectPod } from '../../inject';
import { BENCH_NAMESPACE, bookinfoPods, type PodShape, syntheticPods } from '../common/pods';
import { type LatencySummary, summarize } from '../common/stats';

export interface EngineResult {
  shape: string;
  injectionsPerSecond: number;
  callMs: LatencySummary;
  bytesPerInjection: number;
  gcsDuringAllocationBatch: number;
  patchOperations: number;
}

const cfg = buildInjectionConfig({ overlays: [] });
const inject = (s: PodShape) => injectPod({ pod: s.pod, namespace: BENCH_NAMESPACE, admission: true }, cfg);

function throughput(s: PodShape, durationMs: number): { ips: number; callMs: LatencySummary } {
  const warmEnd = Date.now() + Math.min(1000, durationMs / 3);
  while (Date.now() < warmEnd) inject(s);
  const times: number[] = [];
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(durationMs) * 1_000_000n;
  for (let now = t0; now < end;) {
    inject(s);
    const t = process.hrtime.bigint();
    times.push(Number(t - now) / 1e6);
    now = t;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ips: times.length / seconds, callMs: summarize(times) };
}

interface GcStat {
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

function allocation(s: PodShape, batch: number): { bytes: number; gcs: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const profiler = new GCProfiler();
  const before = getHeapStatistics().used_heap_size;
  profiler.start();
  for (let i = 0; i < batch; i++) inject(s);
  const after = getHeapStatistics().used_heap_size;
  const stats = (profiler.stop() as { statistics: GcStat[] }).statistics;
  const freed = stats.reduce(
    (sum, g) => sum + g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize,
    0,
  );
  return { bytes: (after - before + freed) / batch, gcs: stats.length };
}

function main(argv: string[]): void {
  const [root = '.', duration = '3000', out = 'engine.json'] = argv;
  const durationMs = Number(duration);
  const results: EngineResult[] = [];
  for (const s of [...bookinfoPods(root), ...syntheticPods()]) {
    const outcome = inject(s);
    if (outcome.kind !== 'injected') throw new Error(`${s.name} was not injected: ${outcome.kind}`);
    const t = throughput(s, durationMs);
    // About a second's worth of calls, at least 20.
    const a = allocation(s, Math.max(20, Math.round(t.ips)));
    results.push({
      shape: s.name,
      injectionsPerSecond: t.ips,
      callMs: t.callMs,
      bytesPerInjection: a.bytes,
      gcsDuringAllocationBatch: a.gcs,
      patchOperations: outcome.patch.length,
    });
  }
  writeFileSync(out, JSON.stringify(results));
}

main(process.argv.slice(2));
