import { OPT_OUT_KEY, optOutReason } from '../../../operator/controller/rollout/opt-out';
import { rolloutConfig } from '../../../operator/controller/rollout/rollout-config';
import type { WorkloadRef } from '../../../operator/controller/rollout/outdated';
import { rolloutStep } from '../../../operator/controller/rollout/rollout-step';

describe('optOutReason', () => {
  const label = (v: string) => ({ labels: { [OPT_OUT_KEY]: v } });
  const annotation = (v: string) => ({ annotations: { [OPT_OUT_KEY]: v } });

  it('opts out by a label or an annotation on the namespace or on the workload', () => {
    expect(optOutReason(undefined, undefined)).toBeUndefined();
    expect(optOutReason({}, { labels: { other: 'x' } })).toBeUndefined();
    expect(optOutReason(undefined, label('disabled'))).toBe(`namespace has ${OPT_OUT_KEY}=disabled`);
    expect(optOutReason(undefined, annotation('Disabled'))).toBe(`namespace has ${OPT_OUT_KEY}=disabled`);
    expect(optOutReason(annotation('disabled'), undefined)).toBe(`workload has ${OPT_OUT_KEY}=disabled`);
    expect(optOutReason(label('disabled'), label('enabled'))).toBe(`workload has ${OPT_OUT_KEY}=disabled`);
  });

  it('lets a workload opt back in inside an opted-out namespace; the annotation wins over the label', () => {
    expect(optOutReason(annotation('enabled'), label('disabled'))).toBeUndefined();
    expect(optOutReason({ ...label('disabled'), ...annotation('enabled') }, undefined)).toBeUndefined();
  });

  it('treats an unknown value as an opt-out that names the object and the accepted values', () => {
    expect(optOutReason(annotation('no'), undefined)).toBe(
      `invalid ${OPT_OUT_KEY} "no" on the workload (use disabled or enabled), not restarted`,
    );
    expect(optOutReason(undefined, label('off'))).toBe(
      `invalid ${OPT_OUT_KEY} "off" on the namespace (use disabled or enabled), not restarted`,
    );
  });
});

describe('rolloutStep with opt-outs and restart stamps', () => {
  const w = (ns: string, name: string): WorkloadRef => ({ kind: 'Deployment', namespace: ns, name });
  const outdated = [w('a', 'one'), w('a', 'two'), w('b', 'three'), w('c', 'x'), w('c', 'y')];
  const base = {
    cfg: rolloutConfig({ sidecarRollout: { enabled: true, batchSize: 2, pauseSeconds: 0 } }),
    prev: undefined,
    outdated,
    done: () => true,
    healthy: true,
    generation: 1,
    targetImage: 'proxyv2:new',
    targetRevision: 'default',
    now: Date.parse('2026-01-01T00:00:00Z'),
    pollMs: 1000,
  };

  it('skips opted-out workloads, lists them, and leaves them out of total and pending', () => {
    const optedOut = new Map([
      ['c/Deployment/x', 'namespace has it'],
      ['c/Deployment/y', 'namespace has it'],
    ]);
    let d = rolloutStep({ ...base, optedOut });
    expect(d.restart.map((x) => x.name)).toEqual(['one', 'two']);
    expect(d.progress).toMatchObject({
      total: 3,
      pending: 1,
      optedOut: ['c/Deployment/x', 'c/Deployment/y'],
    });
    d = rolloutStep({ ...base, optedOut, prev: d.progress, outdated: outdated.slice(2), now: base.now + 1 });
    expect(d.restart.map((x) => x.name)).toEqual(['three']);
    d = rolloutStep({ ...base, optedOut, prev: d.progress, outdated: outdated.slice(3), now: base.now + 2 });
    expect(d.restart).toEqual([]);
    expect(d.progress).toMatchObject({ phase: 'Complete', total: 3, pending: 0, optedOutCount: 2 });
  });

  it('lists at most 10 opted-out workloads and counts them all', () => {
    const many = Array.from({ length: 12 }, (_, i) => w('z', `w${String(i).padStart(2, '0')}`));
    const d = rolloutStep({
      ...base,
      outdated: many,
      optedOut: new Map(many.map((x) => [`z/Deployment/${x.name}`, 'namespace has it'])),
    });
    expect(d.restart).toEqual([]);
    expect(d.progress.optedOut).toHaveLength(10);
    expect(d.progress.optedOut?.[0]).toBe('z/Deployment/w00');
    expect(d.progress).toMatchObject({ phase: 'Idle', optedOutCount: 12, total: 0 });
  });

  it('counts stamped workloads as restarted and waits for those still rolling out as the batch', () => {
    const d = rolloutStep({
      ...base,
      stamped: new Set(['a/Deployment/one']),
      done: (k) => k !== 'a/Deployment/one',
    });
    expect(d.restart).toEqual([]);
    expect(d.progress).toMatchObject({
      phase: 'Running',
      batch: ['a/Deployment/one'],
      restarted: ['a/Deployment/one'],
    });
  });
});
