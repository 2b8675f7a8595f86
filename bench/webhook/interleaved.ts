// Interleaved A/B of two webhook builds against the floor, for a machine whose background load moves
// (six engineers on two cores): instead of one long run per server, many short slices rotate between the
// floor, build A and build B, so every server sees the same background on average, and each round's
// ratio to the floor is taken within the round. Not part of `npm run bench`.
//   node dist/bench/webhook/interleaved.js <rootA> <rootB> <group> <rps|saturation> [rounds=8] [sliceMs=4000]
// <root> is a tree with a built dist/ (e.g. `git archive <commit>` of an earlier commit, compiled).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedServing } from '../../lib/certs';
import { freePorts } from '../../hack/cluster/ports';
import { httpGet } from '../../hack/cluster/readiness';
import { type Child, startChild, waitFor } from '../common/children';
import { load1 } from '../common/machine';
import { admissionReview, bookinfoPods, syntheticPods } from '../common/pods';
import { sampleProc } from '../common/proc';
import { fixedRate, type LoadTarget, saturation } from './load';
import { deployedNodeFlags } from './run';

interface Slice {
  cpuMs: number;
  completed: number;
  p99: number;
  errors: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};
const r3 = (x: number): string => x.toPrecision(3);

async function main(argv: string[]): Promise<void> {
  const [rootA, rootB, group = 'bookinfo', rate = '500', roundsArg = '8', sliceArg = '4000'] = argv;
  if (!rootA || !rootB)
    throw new Error('usage: interleaved.js <rootA> <rootB> <group> <rps|saturation> [rounds] [sliceMs]');
  const here = join(__dirname, '..', '..', '..');
  const shapes = group === 'bookinfo' ? bookinfoPods(here) : syntheticPods().filter((s) => s.name === group);
  if (shapes.length === 0) throw new Error(`no pod group ${group}`);
  const bodies = shapes.map((s, i) =>
    Buffer.from(
      JSON.stringify(admissionReview(s.pod, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)),
    ),
  );
  const dir = mkdtempSync(join(tmpdir(), 'meshwright-ab-'));
  const { ca, serving } = await selfSignedServing({
    commonName: 'meshwright-ab',
    ipAddresses: ['127.0.0.1'],
  });
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  writeFileSync(cert, serving.certPem);
  writeFileSync(key, serving.keyPem, { mode: 0o600 });
  const ports = await freePorts(7);
  const port = (i: number): number => ports[i] ?? 0;
  const webhook = (name: string, root: string, p: number, m: number, h: number): Child =>
    startChild(
      name,
      [
        join(root, 'bin', 'meshwright.js'),
        'webhook',
        '--static',
        `--tls-cert-file=${cert}`,
        `--tls-key-file=${key}`,
        '--host=127.0.0.1',
        `--port=${p}`,
        `--metrics-port=${m}`,
        `--health-port=${h}`,
        '--shutdown-delay=0',
      ],
      join(dir, `${name}.log`),
      deployedNodeFlags(here),
    );
  const servers: Record<string, { child: Child; port: number }> = {
    floor: {
      child: startChild(
        'floor',
        [join(here, 'dist', 'bench', 'webhook', 'floor-server.js'), String(port(0)), cert, key],
        join(dir, 'floor.log'),
      ),
      port: port(0),
    },
    A: { child: webhook('A', rootA, port(1), port(2), port(3)), port: port(1) },
    B: { child: webhook('B', rootB, port(4), port(5), port(6)), port: port(4) },
  };
  try {
    for (const [name, h] of [
      ['A', port(3)],
      ['B', port(6)],
    ] as const)
      await waitFor(
        `${name} /readyz`,
        async () => (await httpGet({ url: `http://127.0.0.1:${h}/readyz` })).status === 200,
        30_000,
        servers[name].child,
      );
    const names = Object.keys(servers);
    const slices: Record<string, Slice[]> = Object.fromEntries(names.map((n) => [n, []]));
    const rounds = Number(roundsArg);
    const load = { start: load1(), end: 0 };
    for (let r = 0; r < rounds; r++) {
      // Rotate the order so no server always follows the same one.
      const order = names.map((_, i) => names[(i + r) % names.length]);
      for (const name of order) {
        const s = servers[name];
        const t: LoadTarget = { host: '127.0.0.1', port: s.port, path: '/inject', ca: ca.certPem, bodies };
        let before = sampleProc(s.child.pid);
        const beforeMeasure = async (): Promise<void> => {
          before = sampleProc(s.child.pid);
        };
        const res =
          rate === 'saturation'
            ? await saturation(t, {
                durationMs: Number(sliceArg),
                warmupMs: 500,
                connections: 8,
                beforeMeasure,
              })
            : await fixedRate(t, {
                rps: Number(rate),
                durationMs: Number(sliceArg),
                warmupMs: 500,
                connections: 8,
                beforeMeasure,
              });
        const after = sampleProc(s.child.pid);
        slices[name].push({
          cpuMs: (after.cpuSeconds - before.cpuSeconds) * 1000,
          completed: res.completed,
          p99: res.latencyMs.p99,
          errors: res.errors,
        });
      }
    }
    load.end = load1();
    const perReq = (s: Slice): number => s.cpuMs / Math.max(1, s.completed);
    console.log(
      `${group} at ${rate === 'saturation' ? 'saturation' : `${rate} req/s`}: ${rounds} rounds of ${sliceArg} ms slices, load ${load.start} -> ${load.end}`,
    );
    console.log(
      'server  cpu ms/req (all slices)  median per-round ratio to floor (range)  median slice p99 ms  errors',
    );
    for (const name of names) {
      const ss = slices[name];
      const cpu =
        ss.reduce((a, s) => a + s.cpuMs, 0) /
        Math.max(
          1,
          ss.reduce((a, s) => a + s.completed, 0),
        );
      const ratios = ss.map((s, i) => perReq(s) / perReq(slices.floor[i]));
      console.log(
        `${name.padEnd(6)}  ${r3(cpu).padEnd(24)}  ${name === 'floor' ? '-' : `${r3(median(ratios))}x (${r3(Math.min(...ratios))}-${r3(Math.max(...ratios))})`}`.padEnd(
          80,
        ) + `${r3(median(ss.map((s) => s.p99)))}  ${ss.reduce((a, s) => a + s.errors, 0)}`,
      );
    }
  } finally {
    for (const s of Object.values(servers)) await s.child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`interleaved: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
