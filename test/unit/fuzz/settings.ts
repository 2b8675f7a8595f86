// Run settings shared by the fuzz suites. CI runs the bounded defaults; `npm run fuzz` (test/fuzz/run.sh)
// raises FUZZ_RUNS. A failing property prints its seed and path (fast-check's report); replay it with
// FUZZ_SEED=<seed> [FUZZ_PATH=<path>].
import type fc from 'fast-check';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Cases per property: `fallback` (sized for CI) unless FUZZ_RUNS is set; `scale` shrinks it for slow properties. */
export function runs(fallback: number, scale = 1): number {
  const env = process.env.FUZZ_RUNS;
  return env ? Math.max(1, Math.round(positiveInt('FUZZ_RUNS', fallback) * scale)) : fallback;
}

/** fast-check parameters: bounded runs, the replay seed/path when given, the seed printed either way. */
export function params<T>(numRuns: number): fc.Parameters<T> {
  const seedEnv = process.env.FUZZ_SEED;
  const seed = seedEnv !== undefined && seedEnv !== '' ? Number(seedEnv) : undefined;
  const path = process.env.FUZZ_PATH || undefined;
  return {
    numRuns,
    ...(seed !== undefined && Number.isFinite(seed) ? { seed } : {}),
    ...(path ? { path } : {}),
  };
}

/** Jest timeout for a property of `numRuns` cases taking about `msPerRun` each (generous: shared 2-core CI). */
export function timeoutFor(numRuns: number, msPerRun: number): number {
  return Math.max(60_000, numRuns * msPerRun * 4);
}
