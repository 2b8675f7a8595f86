// The upgrade demo's pure parts: the objects it applies, how it reads pods, tags and holds, the step runner
// that names a failing step, and the stand-in for istiod's validation failurePolicy.
import type { RevisionRow } from '../../../cli/status-report';
import { waitUntil, type Obj } from '../../../hack/demo/kube';
import { Steps, StepError, noted, timingTable } from '../../../hack/demo/steps';
import {
  deletionHeld,
  gatewayIop,
  NEW,
  OLD,
  podsNotOn,
  podSidecar,
  revisionIop,
  revisionLine,
  revisionTag,
  ROLLOUT,
  sidecarVersions,
  tagServes,
} from '../../../hack/demo/upgrade-objects';
import { istiodWebhooksFailingClosed } from '../../../hack/demo/validation';

const pod = (name: string, ns: string, image?: string, rev?: string, deleting = false): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: ns,
    ...(rev ? { annotations: { 'istio.io/rev': rev } } : {}),
    ...(deleting ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
  },
  spec: {
    // Native sidecar: istio-proxy is an init container.
    initContainers: image ? [{ name: 'istio-proxy', image }] : [],
    containers: [{ name: 'app', image: 'registry.invalid/app:1' }],
  },
});

describe('upgrade objects', () => {
  it('installs each release as its own revision, istiod only, and the rollout only on the new one', () => {
    expect(revisionIop(OLD, 'istio-system')).toEqual({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: '1-30', namespace: 'istio-system' },
      spec: { profile: 'minimal', revision: '1-30', tag: '1.30.3' },
    });
    expect(revisionIop(NEW, 'istio-system', ROLLOUT).spec).toMatchObject({
      revision: '1-31',
      tag: '1.31.0-rc.0',
      sidecarRollout: { enabled: true, batchSize: 2 },
    });
  });

  it('moves the gateway by re-applying the same gateways-only IstioOperator with the new revision', () => {
    const before = gatewayIop(OLD, 'istio-system');
    const after = gatewayIop(NEW, 'istio-system');
    expect(after.metadata).toEqual(before.metadata);
    expect(after.spec).toEqual({
      profile: 'empty',
      revision: '1-31',
      tag: '1.31.0-rc.0',
      components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] },
    });
  });

  it('reads a tag as serving a revision only when Ready for that revision', () => {
    const tag = (status: unknown) => ({ ...revisionTag('prod', '1-31'), status }) as Obj;
    expect(revisionTag('prod', '1-31').spec).toEqual({ revision: '1-31' });
    expect(tagServes(tag({ state: 'Ready', revision: '1-31' }), '1-31')).toBe(true);
    expect(tagServes(tag({ state: 'Ready', revision: '1-30' }), '1-31')).toBe(false);
    expect(tagServes(tag({ state: 'RevisionNotReady', revision: '1-31' }), '1-31')).toBe(false);
    expect(tagServes(undefined, '1-31')).toBe(false);
  });

  it('finds the DeletionHeld message, and nothing when the condition is False or absent', () => {
    const iop = (conditions: unknown[]) => ({ status: { conditions } }) as unknown as Obj;
    expect(deletionHeld(iop([{ type: 'DeletionHeld', status: 'True', message: 'deletion held: x' }]))).toBe(
      'deletion held: x',
    );
    expect(deletionHeld(iop([{ type: 'DeletionHeld', status: 'False', message: 'old' }]))).toBeUndefined();
    expect(deletionHeld(iop([]))).toBeUndefined();
  });
});

describe('pods', () => {
  it('reads the sidecar version from the istio-proxy image tag and the revision from the annotation', () => {
    expect(podSidecar(pod('a', 'ns', 'docker.io/istio/proxyv2:1.31.0-rc.0', '1-31'))).toEqual({
      version: '1.31.0-rc.0',
      revision: '1-31',
    });
    // A registry with a port is not a tag.
    expect(podSidecar(pod('a', 'ns', 'localhost:5000/proxyv2'))).toEqual({});
    expect(podSidecar(pod('a', 'ns'))).toEqual({});
  });

  it('lists pods not yet on a release, ignoring pods being deleted, and counts pods per sidecar', () => {
    const pods = [
      pod('new', 'bookinfo', 'docker.io/istio/proxyv2:1.31.0-rc.0', '1-31'),
      pod('old', 'bookinfo', 'docker.io/istio/proxyv2:1.30.3', '1-30'),
      pod('wrong-rev', 'legacy', 'docker.io/istio/proxyv2:1.31.0-rc.0', '1-30'),
      pod('bare', 'legacy'),
      pod('going', 'bookinfo', 'docker.io/istio/proxyv2:1.30.3', '1-30', true),
    ];
    expect(podsNotOn(pods, NEW)).toEqual([
      'bookinfo/old (1.30.3 from 1-30)',
      'legacy/wrong-rev (1.31.0-rc.0 from 1-30)',
      'legacy/bare (no sidecar)',
    ]);
    expect(sidecarVersions(pods)).toBe(
      '4 pods: 1 on 1.30.3 (1-30), 1 on 1.31.0-rc.0 (1-30), 1 on 1.31.0-rc.0 (1-31), 1 on no sidecar',
    );
  });
});

describe('revision line', () => {
  it('shows the columns of `meshwright status` on one line', () => {
    const row: RevisionRow = {
      namespace: 'istio-system',
      name: '1-31',
      revision: '1-31',
      version: '1.31.0-rc.0',
      status: 'HEALTHY',
      injected: 7,
      outdated: 5,
      outdatedWorkloads: [],
      outdatedWorkloadCount: 5,
      rollout: {
        phase: 'Running',
        restarted: 2,
        total: 7,
        pending: 5,
        batch: 1,
        inBatch: ['bookinfo/Deployment/a'],
        stuck: [],
        optedOut: [],
        optedOutCount: 0,
        invalidOptOuts: [],
      },
    };
    expect(revisionLine(row)).toMatch(
      /^1-31 +rev=1-31 +1\.31\.0-rc\.0 +HEALTHY +injected=7 +outdated=5 +rollout=Running 2\/7, batch 1$/,
    );
  });
});

describe('steps', () => {
  it('times each step, keeps its note, and names the step when it does not converge in time', async () => {
    const lines: string[] = [];
    let t = 0;
    const steps = new Steps(
      2,
      (l) => lines.push(l),
      () => t,
    );
    await steps.run('first', 'owner-a', async () => {
      t += 1500;
      return noted(42, 'the answer');
    });
    const failing = steps.run('second', 'operator', () =>
      waitUntil(
        'IstioOperator 1-31',
        50,
        async () => ({ progress: 'RECONCILING' }),
        () => undefined,
        10,
      ),
    );
    await expect(failing).rejects.toBeInstanceOf(StepError);
    await expect(failing).rejects.toMatchObject({
      step: 'second',
      owner: 'operator',
      message: expect.stringMatching(/timed out after 0s waiting for IstioOperator 1-31 \(RECONCILING\)/),
    });
    expect(lines).toEqual(['\n==> [1/2] first', '    done in 1.5s: the answer', '\n==> [2/2] second']);
    expect(timingTable(steps.timings)).toBe(' 1. first     1.5s  the answer');
  });

  it('keeps the name of an inner StepError', async () => {
    const steps = new Steps(1, () => undefined);
    await expect(
      steps.run('outer', 'x', async () => {
        throw new StepError('rollout', 'operator (sidecar rollout)', 'halted');
      }),
    ).rejects.toMatchObject({ step: 'rollout', message: 'halted' });
  });
});

describe('validation stand-in', () => {
  it('picks only webhooks that call an istiod and would fail closed', () => {
    const vwc = {
      webhooks: [
        { name: 'rev.validation.istio.io', clientConfig: { service: { name: 'istiod-1-30' } } },
        { name: 'ignored', failurePolicy: 'Ignore', clientConfig: { service: { name: 'istiod-1-30' } } },
        { name: 'other', failurePolicy: 'Fail', clientConfig: { service: { name: 'cert-manager' } } },
        { name: 'by-url', clientConfig: { url: 'https://x' } },
      ],
    } as unknown as Obj;
    expect(istiodWebhooksFailingClosed(vwc)).toEqual(['rev.validation.istio.io']);
  });
});
