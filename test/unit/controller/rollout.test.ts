import { rolloutConfig, unavailableCap } from '../../../operator/controller/rollout/rollout-config';
import {
  mergeCensus,
  sameProxyImage,
  sidecarCensus,
  workloadKey,
  type PodView,
  type WorkloadRef,
} from '../../../operator/controller/rollout/outdated';
import { rolloutStep, type RolloutInput } from '../../../operator/controller/rollout/rollout-step';
import { readinessOf } from '../../../operator/controller/apply/readiness';

const NEW = 'docker.io/istio/proxyv2:1.30.3';
const OLD = 'docker.io/istio/proxyv2:1.29.0';

describe('rolloutConfig', () => {
  it('applies the documented defaults and reads the selector', () => {
    expect(rolloutConfig({})).toEqual({
      enabled: false,
      batchSize: 5,
      pauseMs: 30_000,
      readyTimeoutMs: 600_000,
      maxUnavailable: undefined,
      namespaceLabels: {},
    });
    const c = rolloutConfig({
      sidecarRollout: {
        enabled: true,
        batchSize: 2,
        pauseSeconds: 0,
        maxUnavailable: '10%',
        namespaceSelector: { matchLabels: { rollout: 'auto' } },
      },
    });
    expect(c).toMatchObject({
      enabled: true,
      batchSize: 2,
      pauseMs: 0,
      maxUnavailable: '10%',
      namespaceLabels: { rollout: 'auto' },
    });
  });

  it('turns maxUnavailable into a count of the candidates', () => {
    const c = rolloutConfig({ sidecarRollout: { enabled: true, maxUnavailable: '10%' } });
    expect(unavailableCap(c, 45)).toBe(5);
    expect(unavailableCap(c, 3)).toBe(1);
    expect(unavailableCap(rolloutConfig({ sidecarRollout: { maxUnavailable: 3 } }), 100)).toBe(3);
    expect(unavailableCap(rolloutConfig({ sidecarRollout: { batchSize: 4 } }), 100)).toBe(4);
  });
});

describe('sidecarCensus', () => {
  const pod = (
    ns: string,
    name: string,
    image: string | undefined,
    owner?: PodView['owner'],
    labels: Record<string, string> = {},
  ): PodView => ({
    namespace: ns,
    name,
    labels,
    owner,
    proxyImage: image,
  });
  const rs = new Map([
    ['shop/cart-7d9f', 'cart'],
    ['shop/web-55c1', 'web'],
  ]);
  const nsLabels = new Map<string, Record<string, string>>([
    ['shop', { 'istio-injection': 'enabled' }],
    ['canary', { 'istio.io/rev': 'canary' }],
    ['istio-system', {}],
  ]);
  const base = {
    replicaSetOwners: rs,
    namespaceLabels: nsLabels,
    revision: '',
    expectedImage: NEW,
    controlPlaneNamespace: 'istio-system',
  };

  it('finds restartable workloads whose proxy image is not the current one', () => {
    const c = sidecarCensus({
      ...base,
      pods: [
        pod('shop', 'cart-7d9f-a', OLD, { kind: 'ReplicaSet', name: 'cart-7d9f' }),
        pod('shop', 'cart-7d9f-b', OLD, { kind: 'ReplicaSet', name: 'cart-7d9f' }),
        pod('shop', 'web-55c1-a', `${NEW}-distroless`, { kind: 'ReplicaSet', name: 'web-55c1' }),
        pod('shop', 'db-0', OLD, { kind: 'StatefulSet', name: 'db' }),
        pod('shop', 'nightly-x', OLD, { kind: 'Job', name: 'nightly' }),
        pod('shop', 'bare', OLD),
        pod(
          'shop',
          'optout',
          OLD,
          { kind: 'DaemonSet', name: 'agent' },
          { 'sidecar.istio.io/inject': 'false' },
        ),
        pod('shop', 'no-sidecar', undefined, { kind: 'DaemonSet', name: 'logs' }),
        pod('istio-system', 'gw', OLD, { kind: 'DaemonSet', name: 'gw' }),
        pod(
          'shop',
          'rendered-gw',
          OLD,
          { kind: 'ReplicaSet', name: 'web-55c1' },
          { 'install.operator.istio.io/owning-resource': 'x' },
        ),
        pod('canary', 'other-rev', OLD, { kind: 'StatefulSet', name: 'x' }),
      ],
    });
    expect(c.injected).toBe(7);
    expect(c.outdated).toBe(6);
    expect(c.outdatedWorkloads.map(workloadKey)).toEqual(['shop/Deployment/cart', 'shop/StatefulSet/db']);
    // What status lists: every owner of an outdated pod, the ones that cannot be restarted included.
    expect(c.outdatedOwners).toEqual([
      'istio-system/DaemonSet/gw',
      'shop/Deployment/cart',
      'shop/Job/nightly',
      'shop/Pod/bare',
      'shop/StatefulSet/db',
    ]);
  });

  it("attributes pods to a revision as upstream's webhook selectors do: namespace label first, then pod label", () => {
    const pods = [
      pod('canary', 'a-0', OLD, { kind: 'StatefulSet', name: 'a' }),
      // istio-injection=enabled wins over the pod's istio.io/rev (canary's webhooks skip such namespaces).
      pod('shop', 'b-0', OLD, { kind: 'StatefulSet', name: 'b' }, { 'istio.io/rev': 'canary' }),
      // In an unlabelled namespace the pod's own label selects the revision.
      pod('plain', 'c-0', OLD, { kind: 'StatefulSet', name: 'c' }, { 'istio.io/rev': 'canary' }),
    ];
    const c = sidecarCensus({ ...base, revision: 'canary', pods });
    expect(c.outdatedWorkloads.map(workloadKey)).toEqual(['canary/StatefulSet/a', 'plain/StatefulSet/c']);
    expect(sidecarCensus({ ...base, revision: '', pods }).outdatedWorkloads.map(workloadKey)).toEqual([
      'shop/StatefulSet/b',
    ]);
  });

  it('counts the pods of namespaces labelled with a revision tag that points at the revision', () => {
    const labels = new Map([...nsLabels, ['tagged', { 'istio.io/rev': 'prod' }]]);
    const pods = [
      pod('tagged', 'a-0', OLD, { kind: 'StatefulSet', name: 'a' }),
      pod('shop', 'b-0', OLD, { kind: 'StatefulSet', name: 'b' }),
    ];
    const input = { ...base, namespaceLabels: labels, revision: '1-31', pods };
    expect(sidecarCensus(input).injected).toBe(0);
    expect(sidecarCensus({ ...input, tags: ['prod'] }).outdatedWorkloads.map(workloadKey)).toEqual([
      'tagged/StatefulSet/a',
    ]);
    // The default tag serves istio-injection=enabled namespaces.
    expect(sidecarCensus({ ...input, tags: ['default', 'prod'] }).outdatedWorkloads.map(workloadKey)).toEqual(
      ['shop/StatefulSet/b', 'tagged/StatefulSet/a'],
    );
  });

  it('honours the rollout namespace selector for candidates but still counts outdated pods', () => {
    const c = sidecarCensus({
      ...base,
      candidateNamespaceLabels: { rollout: 'auto' },
      pods: [pod('shop', 'db-0', OLD, { kind: 'StatefulSet', name: 'db' })],
    });
    expect(c.outdated).toBe(1);
    expect(c.outdatedWorkloads).toEqual([]);
  });

  it('ignores image variants', () => {
    expect(sameProxyImage(`${NEW}-debug`, NEW)).toBe(true);
    expect(sameProxyImage(OLD, NEW)).toBe(false);
  });
});

describe('mergeCensus', () => {
  it('adds the counts of two pages and keeps each outdated workload once, sorted', () => {
    const web = { kind: 'Deployment' as const, namespace: 'shop', name: 'web' };
    const db = { kind: 'StatefulSet' as const, namespace: 'apps', name: 'db' };
    const merged = mergeCensus(
      { injected: 3, outdated: 2, outdatedWorkloads: [web], outdatedOwners: ['shop/Deployment/web'] },
      {
        injected: 4,
        outdated: 1,
        outdatedWorkloads: [web, db],
        outdatedOwners: ['apps/StatefulSet/db', 'shop/Deployment/web'],
      },
    );
    expect(merged).toEqual({
      injected: 7,
      outdated: 3,
      outdatedWorkloads: [db, web],
      outdatedOwners: ['apps/StatefulSet/db', 'shop/Deployment/web'],
    });
  });
});

describe('rolloutStep', () => {
  const w = (name: string): WorkloadRef => ({ kind: 'Deployment', namespace: 'shop', name });
  const all = ['a', 'b', 'c', 'd', 'e'].map(w);
  const T = Date.parse('2026-01-01T00:00:00Z');
  const input = (over: Partial<RolloutInput>): RolloutInput => ({
    cfg: rolloutConfig({
      sidecarRollout: { enabled: true, batchSize: 2, pauseSeconds: 30, readyTimeoutSeconds: 600 },
    }),
    prev: undefined,
    outdated: all,
    done: () => true,
    healthy: true,
    generation: 1,
    targetImage: NEW,
    targetRevision: 'default',
    now: T,
    pollMs: 2000,
    ...over,
  });

  it('restarts nothing when disabled but reports the pending count', () => {
    const d = rolloutStep(input({ cfg: rolloutConfig({}) }));
    expect(d.restart).toEqual([]);
    expect(d.progress).toMatchObject({ phase: 'Idle', pending: 5, total: 5 });
  });

  it('runs in sorted batches, waits for each batch and pauses between them, and completes', () => {
    let d = rolloutStep(input({}));
    expect(d.restart.map((x) => x.name)).toEqual(['a', 'b']);
    expect(d.progress).toMatchObject({
      phase: 'Running',
      pending: 3,
      batch: ['shop/Deployment/a', 'shop/Deployment/b'],
    });
    // Batch still rolling: nothing new.
    d = rolloutStep(input({ prev: d.progress, outdated: all, done: () => false, now: T + 5000 }));
    expect(d.restart).toEqual([]);
    // Done: the pause starts.
    d = rolloutStep(input({ prev: d.progress, outdated: all.slice(2), now: T + 10_000 }));
    expect(d.restart).toEqual([]);
    expect(d.requeueAfterMs).toBe(30_000);
    d = rolloutStep(input({ prev: d.progress, outdated: all.slice(2), now: T + 40_000 }));
    expect(d.restart.map((x) => x.name)).toEqual(['c', 'd']);
    d = rolloutStep(input({ prev: d.progress, outdated: all.slice(4), now: T + 50_000 }));
    d = rolloutStep(input({ prev: d.progress, outdated: all.slice(4), now: T + 80_000 }));
    expect(d.restart.map((x) => x.name)).toEqual(['e']);
    d = rolloutStep(input({ prev: d.progress, outdated: [], now: T + 90_000 }));
    expect(d.progress).toMatchObject({ phase: 'Complete', total: 5, pending: 0, batch: [] });
    expect(d.progress.restarted).toHaveLength(5);
    // Steady: nothing changes any more.
    const again = rolloutStep(input({ prev: d.progress, outdated: [], now: T + 500_000 }));
    expect(again.progress).toEqual(d.progress);
  });

  it('never restarts a workload twice for the same target, and starts over for a new one', () => {
    const first = rolloutStep(input({ outdated: [w('a')] }));
    const stillOld = rolloutStep(input({ prev: first.progress, outdated: [w('a')], now: T + 100_000 }));
    expect(stillOld.restart).toEqual([]);
    expect(stillOld.progress.phase).toBe('Complete');
    const upgrade = rolloutStep(
      input({
        prev: stillOld.progress,
        outdated: [w('a')],
        targetImage: 'docker.io/istio/proxyv2:1.31.0',
        now: T + 200_000,
      }),
    );
    expect(upgrade.restart.map((x) => x.name)).toEqual(['a']);
  });

  it('starts over for a settings-only target change with the same image, once per target', () => {
    const first = rolloutStep(input({ outdated: [w('a')], target: 't1' }));
    expect(first.progress).toMatchObject({ target: 't1', targetImage: NEW });
    const same = rolloutStep(
      input({ prev: first.progress, outdated: [w('a')], target: 't1', now: T + 100_000 }),
    );
    expect(same.restart).toEqual([]);
    const resized = rolloutStep(
      input({ prev: same.progress, outdated: [w('a')], target: 't2', now: T + 200_000 }),
    );
    expect(resized.restart.map((x) => x.name)).toEqual(['a']);
    expect(resized.progress).toMatchObject({
      target: 't2',
      targetImage: NEW,
      restarted: ['shop/Deployment/a'],
    });
    const again = rolloutStep(
      input({ prev: resized.progress, outdated: [w('a')], target: 't2', now: T + 300_000 }),
    );
    expect(again.restart).toEqual([]);
    expect(again.progress.phase).toBe('Complete');
  });

  it('halts with the stuck workloads after the ready timeout, and resumes when they recover', () => {
    const started = rolloutStep(input({}));
    const halted = rolloutStep(
      input({ prev: started.progress, done: (k) => k !== 'shop/Deployment/b', now: T + 600_000 }),
    );
    expect(halted.progress).toMatchObject({ phase: 'Halted', stuck: ['shop/Deployment/b'] });
    expect(halted.restart).toEqual([]);
    const stillHalted = rolloutStep(
      input({ prev: halted.progress, done: (k) => k !== 'shop/Deployment/b', now: T + 700_000 }),
    );
    expect(stillHalted.progress.phase).toBe('Halted');
    const recovered = rolloutStep(
      input({ prev: stillHalted.progress, outdated: all.slice(2), now: T + 800_000 }),
    );
    expect(recovered.progress).toMatchObject({ phase: 'Running', stuck: [] });
  });

  it('resumes a halted rollout when the spec changes', () => {
    const started = rolloutStep(input({}));
    const halted = rolloutStep(input({ prev: started.progress, done: () => false, now: T + 600_000 }));
    const resumed = rolloutStep(
      input({
        prev: halted.progress,
        done: (k) => !['shop/Deployment/a', 'shop/Deployment/b'].includes(k),
        generation: 2,
        outdated: all.slice(2),
        now: T + 601_000,
      }),
    );
    expect(resumed.progress.phase).not.toBe('Halted');
  });

  it('pauses new batches while the control plane is not healthy', () => {
    const d = rolloutStep(input({ healthy: false }));
    expect(d.restart).toEqual([]);
    expect(d.progress.phase).toBe('Paused');
  });

  it('caps restarted-but-unavailable workloads with maxUnavailable', () => {
    const cfg = rolloutConfig({
      sidecarRollout: { enabled: true, batchSize: 2, pauseSeconds: 0, maxUnavailable: 2 },
    });
    const first = rolloutStep(input({ cfg }));
    // 'a' finished, 'b' finished its batch check but is unavailable again: one slot left.
    const prev = { ...first.progress, batch: [] };
    const next = rolloutStep(
      input({ cfg, prev, outdated: all.slice(2), done: (k) => k !== 'shop/Deployment/b', now: T + 1000 }),
    );
    expect(next.restart.map((x) => x.name)).toEqual(['c']);
  });
});

describe('readinessOf StatefulSet', () => {
  it('requires ready replicas and the update revision rolled out', () => {
    const sts = (status: object) => ({
      kind: 'StatefulSet',
      metadata: { name: 'db', generation: 1 },
      spec: { replicas: 2 },
      status,
    });
    expect(readinessOf(sts({ observedGeneration: 1, updatedReplicas: 2, readyReplicas: 1 })).ready).toBe(
      false,
    );
    expect(
      readinessOf(
        sts({
          observedGeneration: 1,
          updatedReplicas: 2,
          readyReplicas: 2,
          currentRevision: 'r1',
          updateRevision: 'r2',
        }),
      ).ready,
    ).toBe(false);
    expect(
      readinessOf(
        sts({
          observedGeneration: 1,
          updatedReplicas: 2,
          readyReplicas: 2,
          currentRevision: 'r2',
          updateRevision: 'r2',
        }),
      ).ready,
    ).toBe(true);
  });
});
