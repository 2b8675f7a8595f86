// A small keep-alive HTTPS load generator (node:https, microsecond timing): open-loop at a fixed rate,
// or closed-loop at saturation. Open loop measures each latency from the request's *scheduled* send
// time, so a stalled server is charged for the requests queued behind it (no coordinated omission).
import { Agent, request, type RequestOptions } from 'node:https';
import { type LatencySummary, summarize } from '../common/stats';
import { toError } from '../../lib/errors';

export interface LoadTarget {
  host: string;
  port: number;
  path: string;
  /** PEM CA that signed the server certificate: the client verifies it, like the apiserver. */
  ca: string;
  /** Request bodies, sent in rotation. */
  bodies: readonly Buffer[];
}

export interface LoadResult {
  mode: 'rate' | 'saturation';
  /** Requested rate (open loop); undefined at saturation. */
  targetRps?: number;
  connections: number;
  durationS: number;
  completed: number;
  errors: number;
  /** Non-200 answers and transport errors, by status or error code. */
  failures: Record<string, number>;
  achievedRps: number;
  latencyMs: LatencySummary;
}

interface Sample {
  ok: boolean;
  key: string;
  latencyMs: number;
}

/** A keep-alive JSON POST of `body` to the target. */
function postOptions(agent: Agent, t: LoadTarget, body: Buffer): RequestOptions {
  return {
    agent,
    host: t.host,
    port: t.port,
    path: t.path,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': body.length },
  };
}

function post(agent: Agent, t: LoadTarget, body: Buffer, sentAt: bigint): Promise<Sample> {
  return new Promise((resolve) => {
    const done = (ok: boolean, key: string) =>
      resolve({ ok, key, latencyMs: Number(process.hrtime.bigint() - sentAt) / 1e6 });
    const req = request(postOptions(agent, t, body), (res) => {
      res.on('data', () => undefined);
      res.on('end', () => done(res.statusCode === 200, String(res.statusCode)));
      res.on('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? 'response-error'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? 'request-error'));
    req.end(body);
  });
}

function newAgent(t: LoadTarget, connections: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: connections, ca: t.ca });
}

function result(
  mode: LoadResult['mode'],
  samples: Sample[],
  durationS: number,
  connections: number,
  targetRps?: number,
): LoadResult {
  const ok = samples.filter((s) => s.ok);
  const failures: Record<string, number> = {};
  for (const s of samples) if (!s.ok) failures[s.key] = (failures[s.key] ?? 0) + 1;
  return {
    mode,
    ...(targetRps !== undefined ? { targetRps } : {}),
    connections,
    durationS,
    completed: ok.length,
    errors: samples.length - ok.length,
    failures,
    achievedRps: ok.length / durationS,
    latencyMs: summarize(ok.map((s) => s.latencyMs)),
  };
}

/**
 * Open loop: request i is due at start + i/rate, sent on up to `connections` keep-alive connections
 * (further requests wait for a free one, and that wait counts). A warm-up phase is not recorded.
 */
export async function fixedRate(
  t: LoadTarget,
  o: {
    rps: number;
    durationMs: number;
    warmupMs: number;
    connections: number;
    beforeMeasure?: () => Promise<void>;
  },
): Promise<LoadResult> {
  const agent = newAgent(t, o.connections);
  try {
    const run = async (ms: number, record: boolean): Promise<Sample[]> => {
      const total = Math.max(1, Math.round((o.rps * ms) / 1000));
      const start = process.hrtime.bigint();
      const intervalNs = 1e9 / o.rps;
      const pending: Promise<Sample>[] = [];
      let sent = 0;
      while (sent < total) {
        const elapsed = Number(process.hrtime.bigint() - start);
        const due = Math.min(total, Math.floor(elapsed / intervalNs) + 1);
        for (; sent < due; sent++) {
          const scheduled = start + BigInt(Math.round(sent * intervalNs));
          pending.push(post(agent, t, t.bodies[sent % t.bodies.length] as Buffer, scheduled));
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      const samples = await Promise.all(pending);
      return record ? samples : [];
    };
    if (o.warmupMs > 0) await run(o.warmupMs, false);
    await o.beforeMeasure?.();
    const t0 = process.hrtime.bigint();
    const samples = await run(o.durationMs, true);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return result('rate', samples, seconds, o.connections, o.rps);
  } finally {
    agent.destroy();
  }
}

/** Closed loop: `connections` clients each send the next request as soon as the previous answer is in. */
export async function saturation(
  t: LoadTarget,
  o: { durationMs: number; warmupMs: number; connections: number; beforeMeasure?: () => Promise<void> },
): Promise<LoadResult> {
  const agent = newAgent(t, o.connections);
  try {
    const run = async (ms: number): Promise<{ samples: Sample[]; seconds: number }> => {
      const t0 = process.hrtime.bigint();
      const end = t0 + BigInt(ms) * 1_000_000n;
      const samples: Sample[] = [];
      let next = 0;
      const worker = async () => {
        while (process.hrtime.bigint() < end) {
          const body = t.bodies[next++ % t.bodies.length] as Buffer;
          samples.push(await post(agent, t, body, process.hrtime.bigint()));
        }
      };
      await Promise.all(Array.from({ length: o.connections }, worker));
      return { samples, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
    };
    if (o.warmupMs > 0) await run(o.warmupMs);
    await o.beforeMeasure?.();
    const { samples, seconds } = await run(o.durationMs);
    return result('saturation', samples, seconds, o.connections);
  } finally {
    agent.destroy();
  }
}

/** One request, its parsed JSON answer (to check the server injects before measuring it). */
export async function postOnce(t: LoadTarget, body: Buffer): Promise<{ status: number; json: unknown }> {
  const agent = newAgent(t, 1);
  try {
    return await new Promise((resolve, reject) => {
      const req = request(postOptions(agent, t, body), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            });
          } catch (err) {
            reject(toError(err));
          }
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  } finally {
    agent.destroy();
  }
}
