// The rollout adapter (SidecarRollout.observe) over an in-memory apiserver: opt-outs by namespace and by
// workload, events per batch, and the resume paths across operator restarts (progress kept in status; a
// restart whose status write was lost is found by the stamp on the workload and not repeated).
import type { KubernetesObject } from '@kubernetes/client-node';
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import { OPT_OUT_KEY } from '../../../operator/controller/rollout/opt-out';
import type { RolloutProgress } from '../../../operator/controller/rollout/rollout-step';
import {
  RESTARTED_AT,
  RESTARTED_FOR,
  SidecarRollout,
  type SidecarObservation,
} from '../../../operator/controller/rollout/sidecar-rollout';
import { FakeKube } from './fake-kube';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const OLD = 'docker.io/istio/proxyv2:1.30.3';
const NEW = 'docker.io/istio/proxyv2:1.30.4';
const T = Date.parse('2026-01-01T00:00:00Z');
const target = { expectedImage: NEW, revision: 'canary', controlPlaneNamespace: 'istio-system' };

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function iop(rollout: Record<string, unknown>): Obj {
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'canary', namespace: 'istio-system', uid: 'u1', generation: 1 },
    spec: { revision: 'canary', sidecarRollout: { enabled: true, pauseSeconds: 0, ...rollout } },
  };
}

function namespace(kube: FakeKube, name: string, labels: Record<string, string> = {}): void {
  kube.seed({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'istio.io/rev': 'canary', ...labels } },
  });
}

/** A Deployment with one pod injected with `image`, found through its ReplicaSet name and hash. */
function app(
  kube: FakeKube,
  ns: string,
  name: string,
  image = OLD,
  annotations: Record<string, string> = {},
) {
  kube.seed({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, annotations },
    spec: { replicas: 1 },
  } as KubernetesObject);
  kube.seed({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-1-x`,
      namespace: ns,
      labels: { 'pod-template-hash': '1' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-1`, uid: 'r', controller: true },
      ],
    },
    spec: {
      containers: [
        { name: 'app', image: 'app:1' },
        { name: 'istio-proxy', image },
      ],
    },
  } as KubernetesObject);
}

const deployment = (kube: FakeKube, ns: string, name: string) =>
  kube.find('apps/v1', 'Deployment', name, ns) as Obj;
const restartedAt = (kube: FakeKube, ns: string, name: string) =>
  (deployment(kube, ns, name).spec as { template?: { metadata?: { annotations?: Record<string, string> } } })
    .template?.metadata?.annotations?.[RESTARTED_AT];
const restartPatches = (kube: FakeKube) => kube.writes.filter((w) => w.startsWith('patch Deployment/'));

/** What the Deployment controller and kwok do for a restarted Deployment: new pod, new proxy, available. */
function rollOut(kube: FakeKube, ns: string, name: string): void {
  const d = deployment(kube, ns, name);
  d.status = {
    observedGeneration: d.metadata?.generation,
    replicas: 1,
    updatedReplicas: 1,
    availableReplicas: 1,
    conditions: [{ type: 'Available', status: 'True' }],
  };
  const pod = kube.find('v1', 'Pod', `${name}-1-x`, ns) as Obj;
  (pod.spec as { containers: { image: string }[] }).containers[1].image = NEW;
}

function notAvailable(kube: FakeKube, ns: string, name: string): void {
  deployment(kube, ns, name).status = { replicas: 1, updatedReplicas: 1, availableReplicas: 0 };
}

async function pass(r: SidecarRollout, o: Obj, prev: RolloutProgress | undefined, now: number) {
  return r.observe(o, target, prev, now, quiet);
}

describe('sidecar rollout with opt-outs, batch events and resume', () => {
  function cluster() {
    const kube = new FakeKube(() => T);
    namespace(kube, 'a');
    namespace(kube, 'b');
    namespace(kube, 'frozen', { [OPT_OUT_KEY]: 'disabled' });
    app(kube, 'a', 'one');
    app(kube, 'a', 'two');
    app(kube, 'a', 'pinned', OLD, { [OPT_OUT_KEY]: 'disabled' });
    app(kube, 'b', 'three');
    app(kube, 'frozen', 'legacy');
    // A workload that opts back in inside an opted-out namespace.
    app(kube, 'frozen', 'keen', OLD, { [OPT_OUT_KEY]: 'enabled' });
    return kube;
  }

  it('restarts the others in batches, never an opted-out workload, and tells each batch in events', async () => {
    const kube = cluster();
    const r = new SidecarRollout(kube, 1000);
    const o = iop({ batchSize: 2 });
    let obs: SidecarObservation = await pass(r, o, undefined, T);
    // Every outdated owner is counted and listed, the opted-out ones included.
    expect(obs.sidecars).toEqual({
      injected: 6,
      outdated: 6,
      expectedImage: NEW,
      outdatedWorkloads: [
        'a/Deployment/one',
        'a/Deployment/pinned',
        'a/Deployment/two',
        'b/Deployment/three',
        'frozen/Deployment/keen',
        'frozen/Deployment/legacy',
      ],
      outdatedWorkloadCount: 6,
    });
    expect(obs.rollout).toMatchObject({
      phase: 'Running',
      total: 4,
      pending: 2,
      batches: 1,
      batch: ['a/Deployment/one', 'a/Deployment/two'],
      optedOut: ['a/Deployment/pinned', 'frozen/Deployment/legacy'],
      optedOutCount: 2,
    });
    expect(obs.events).toEqual([
      {
        type: 'Normal',
        reason: 'SidecarRollout',
        message: `batch 1 started: restarting a/Deployment/one, a/Deployment/two to pick up ${NEW} (2 of 4 restarted, 2 opted out)`,
      },
    ]);
    expect(restartedAt(kube, 'a', 'one')).toBeDefined();
    expect(deployment(kube, 'a', 'one').metadata?.annotations?.[RESTARTED_FOR]).toMatch(/^[0-9a-f]{16}$/);

    rollOut(kube, 'a', 'one');
    rollOut(kube, 'a', 'two');
    obs = await pass(r, o, obs.rollout, T + 1000);
    expect(obs.events.map((e) => `${e.reason}: ${e.message}`)).toEqual([
      'SidecarRolloutBatchCompleted: batch 1 completed: a/Deployment/one, a/Deployment/two (2 of 4 restarted)',
      `SidecarRollout: batch 2 started: restarting b/Deployment/three, frozen/Deployment/keen to pick up ${NEW} (4 of 4 restarted, 2 opted out)`,
    ]);
    rollOut(kube, 'b', 'three');
    rollOut(kube, 'frozen', 'keen');
    obs = await pass(r, o, obs.rollout, T + 2000);
    expect(obs.events.map((e) => e.reason)).toEqual([
      'SidecarRolloutBatchCompleted',
      'SidecarRolloutComplete',
    ]);
    expect(obs.rollout).toMatchObject({ phase: 'Complete', total: 4, pending: 0, optedOutCount: 2 });
    // The opted-out workloads are still outdated, and were never touched.
    expect(obs.sidecars).toMatchObject({
      outdated: 2,
      outdatedWorkloads: ['a/Deployment/pinned', 'frozen/Deployment/legacy'],
    });
    expect(restartedAt(kube, 'a', 'pinned')).toBeUndefined();
    expect(restartedAt(kube, 'frozen', 'legacy')).toBeUndefined();
    expect(restartPatches(kube)).toHaveLength(4);
    // Steady: nothing more restarted, no more events.
    obs = await pass(r, o, obs.rollout, T + 3000);
    expect(obs.events).toEqual([]);
    expect(restartPatches(kube)).toHaveLength(4);
  });

  it('while a batch rolls out, reads only its workloads, not every pod, until the batch is done', async () => {
    const kube = cluster();
    const r = new SidecarRollout(kube, 1000);
    const o = iop({ batchSize: 2 });
    const podLists = () => kube.reads.filter((x) => x === 'list Pod').length;
    const first = await pass(r, o, undefined, T);
    notAvailable(kube, 'a', 'one');
    notAvailable(kube, 'a', 'two');
    const censuses = podLists();
    const gets = jest.spyOn(kube, 'get');
    const waiting = await pass(r, o, first.rollout, T + 1000);
    expect(podLists()).toBe(censuses);
    expect(gets.mock.calls.map(([ref]) => `${ref.kind}/${ref.namespace}/${ref.name}`)).toEqual([
      'Deployment/a/one',
    ]);
    expect(waiting).toEqual({
      sidecars: first.sidecars,
      rollout: first.rollout,
      requeueAfterMs: 1000,
      events: [],
    });
    // One of the two ready: still waiting, both read.
    rollOut(kube, 'a', 'one');
    gets.mockClear();
    await pass(r, o, first.rollout, T + 2000);
    expect(podLists()).toBe(censuses);
    expect(gets).toHaveBeenCalledTimes(2);
    // Both ready: a census again, and the next batch starts.
    rollOut(kube, 'a', 'two');
    const next = await pass(r, o, first.rollout, T + 3000);
    expect(podLists()).toBe(censuses + 1);
    expect(next.events.map((e) => e.reason)).toEqual(['SidecarRolloutBatchCompleted', 'SidecarRollout']);
    // A batch that waits longer than the census interval gets a fresh census now and then.
    notAvailable(kube, 'b', 'three');
    await pass(r, o, next.rollout, T + 4000);
    expect(podLists()).toBe(censuses + 1);
    await pass(r, o, next.rollout, T + 3000 + 60_000);
    expect(podLists()).toBe(censuses + 2);
    gets.mockRestore();
  });

  it('halts on a batch whose pods do not become Ready, naming them in a Warning event', async () => {
    const kube = cluster();
    const r = new SidecarRollout(kube, 1000);
    const o = iop({ batchSize: 2, readyTimeoutSeconds: 5 });
    let obs = await pass(r, o, undefined, T);
    rollOut(kube, 'a', 'one');
    notAvailable(kube, 'a', 'two');
    obs = await pass(r, o, obs.rollout, T + 6000);
    expect(obs.rollout).toMatchObject({ phase: 'Halted', stuck: ['a/Deployment/two'] });
    expect(obs.events).toEqual([
      {
        type: 'Warning',
        reason: 'SidecarRolloutHalted',
        message:
          'batch 1 halted: pods not Ready within 5s: a/Deployment/two; nothing more is restarted until they recover or the spec changes',
      },
    ]);
    // Still halted: no second event, nothing restarted.
    obs = await pass(r, o, obs.rollout, T + 9000);
    expect(obs.events).toEqual([]);
    expect(restartPatches(kube)).toHaveLength(2);
  });

  it('resumes after an operator restart from the progress in status, restarting nobody twice', async () => {
    const kube = cluster();
    const o = iop({ batchSize: 2 });
    const first = await pass(new SidecarRollout(kube, 1000), o, undefined, T);
    rollOut(kube, 'a', 'one');
    rollOut(kube, 'a', 'two');
    // A new operator process: no memory, only the status the first one wrote.
    const second = await pass(new SidecarRollout(kube, 1000), o, first.rollout, T + 1000);
    expect(second.rollout?.batch).toEqual(['b/Deployment/three', 'frozen/Deployment/keen']);
    expect(restartPatches(kube).sort()).toEqual([
      'patch Deployment/keen',
      'patch Deployment/one',
      'patch Deployment/three',
      'patch Deployment/two',
    ]);
  });

  it('does not restart again when the status write of the restarting pass was lost', async () => {
    const kube = cluster();
    const o = iop({ batchSize: 2 });
    await pass(new SidecarRollout(kube, 1000), o, undefined, T);
    // The operator died after the patches, before status: the next leader starts with no progress. The
    // pods are still the old ones (not rolled out yet).
    const r = new SidecarRollout(kube, 1000);
    let again = await pass(r, o, undefined, T + 1000);
    // Found by their stamps: counted as restarted and waited for as the current batch, not patched again.
    expect(again.rollout).toMatchObject({
      phase: 'Running',
      restarted: ['a/Deployment/one', 'a/Deployment/two'],
      batch: ['a/Deployment/one', 'a/Deployment/two'],
      pending: 2,
    });
    expect(restartPatches(kube)).toEqual(['patch Deployment/one', 'patch Deployment/two']);
    rollOut(kube, 'a', 'one');
    rollOut(kube, 'a', 'two');
    again = await pass(r, o, again.rollout, T + 2000);
    expect(again.rollout?.batch).toEqual(['b/Deployment/three', 'frozen/Deployment/keen']);
    expect(restartPatches(kube)).toEqual([
      'patch Deployment/one',
      'patch Deployment/two',
      'patch Deployment/three',
      'patch Deployment/keen',
    ]);
  });

  it('reports an unknown opt-out value as a Warning naming the object, and leaves the workload alone', async () => {
    const kube = new FakeKube(() => T);
    namespace(kube, 'a');
    app(kube, 'a', 'typo', OLD, { [OPT_OUT_KEY]: 'off' });
    const obs = await pass(new SidecarRollout(kube, 1000), iop({}), undefined, T);
    const message = `a/Deployment/typo: invalid ${OPT_OUT_KEY} "off" on the workload (use disabled or enabled), not restarted`;
    expect(obs.rollout).toMatchObject({ optedOut: ['a/Deployment/typo'], invalidOptOuts: [message] });
    expect(obs.events).toEqual([{ type: 'Warning', reason: 'SidecarRolloutOptOutInvalid', message }]);
    expect(restartPatches(kube)).toEqual([]);
    const next = await pass(new SidecarRollout(kube, 1000), iop({}), obs.rollout, T + 1000);
    expect(next.events).toEqual([]);
  });
});
