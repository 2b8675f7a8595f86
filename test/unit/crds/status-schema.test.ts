// The IstioOperator status the operator computes (the one wire type of operator/api/types.ts) must be
// described field by field by crds/istiooperator.yaml: a field added on one side only fails here.
import type { IstioOperatorStatus } from '../../../operator/api/types';
import type { RolloutProgress } from '../../../operator/controller/rollout/rollout-step';
import { computeStatus } from '../../../operator/controller/status/compute-status';
import type { LiveStatus } from '../../../operator/controller/status/live-status';
import { statusPatch } from '../../../operator/controller/status/status-patch';
import { loadProjectCrds, rootSchema, schemaAt, storageVersion, type JsonValue, type Schema } from './crd-files';
import { undocumentedProblems } from './documented-value';

const crd = loadProjectCrds().find((f) => f.crd.metadata.name === 'istiooperators.install.istio.io')?.crd;
if (!crd) throw new Error('crds/ holds no istiooperators.install.istio.io');
const statusSchema = schemaAt(rootSchema(storageVersion(crd), crd.metadata.name), 'status') as Schema;

// Every optional field set, so each one is checked.
const rollout: Required<RolloutProgress> = {
  phase: 'Halted',
  targetImage: 'docker.io/istio/proxyv2:1.30.3',
  target: 'abc123',
  targetRevision: 'canary',
  total: 4,
  restarted: ['shop/Deployment/cart'],
  pending: 2,
  batch: ['shop/Deployment/web'],
  batches: 2,
  batchStartedAt: '2026-01-01T00:01:00Z',
  lastBatchTime: '2026-01-01T00:02:00Z',
  stuck: ['shop/Deployment/web'],
  haltedGeneration: 3,
  optedOut: ['shop/Deployment/legacy'],
  optedOutCount: 1,
  invalidOptOuts: ['shop/Deployment/odd: "maybe" is neither true nor false'],
};

function fullStatus(): IstioOperatorStatus {
  return computeStatus(
    undefined,
    {
      generation: 3,
      // A release line the injector does not know exactly, so status.meshwright.injection is written.
      version: '1.99.0',
      crds: { keptNewer: 2, version: '1.31.0', message: 'kept newer CRDs' },
      outcomes: [
        { component: 'Base', state: 'ready' },
        { component: 'Pilot', state: 'error', message: 'rejected' },
        { component: 'IngressGateways', state: 'progressing', reason: 'rolling out', changed: true },
      ],
      sidecars: {
        counts: {
          injected: 4,
          outdated: 2,
          expectedImage: 'docker.io/istio/proxyv2:1.30.3',
          outdatedWorkloads: ['shop/Deployment/web'],
          outdatedWorkloadCount: 1,
          error: 'pods is forbidden',
        },
        rollout,
      },
    },
    '2026-01-01T00:00:00Z',
  );
}

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as JsonValue;

describe('IstioOperator status and its CRD schema', () => {
  it('computes a status that uses every status.meshwright field (else this test checks less than it claims)', () => {
    const s = fullStatus();
    expect(Object.keys(s.meshwright ?? {}).sort()).toEqual(['crds', 'injection', 'sidecarRollout', 'sidecars', 'version']);
    expect(s.message).toEqual(expect.any(String));
  });

  it('is described field by field by crds/istiooperator.yaml', () => {
    expect(undocumentedProblems(json(fullStatus()), statusSchema, '.status')).toEqual([]);
  });

  it('writes a status merge patch the schema describes too (null values clear fields)', () => {
    const prev = json(fullStatus()) as LiveStatus;
    const next = computeStatus(prev, { generation: 4, outcomes: [{ component: 'Base', state: 'ready' }] }, '2026-01-01T01:00:00Z');
    const patch = json(statusPatch(prev, next)) as { status: JsonValue };
    const withoutNulls = JSON.parse(JSON.stringify(patch.status, (_k, v: unknown) => (v === null ? undefined : v))) as JsonValue;
    expect(undocumentedProblems(withoutNulls, statusSchema, '.status')).toEqual([]);
  });

  it('describes status.meshwright.followedTag, which the reconciler patches on its own for tag followers', () => {
    const followed: IstioOperatorStatus = {
      meshwright: { followedTag: { tag: 'prod', revision: '1-31', istioOperator: 'istio-system/r31' } },
    };
    expect(undocumentedProblems(json(followed), statusSchema, '.status')).toEqual([]);
  });

  it('reports a field the schema does not describe, with its path', () => {
    const s = json({ ...fullStatus(), meshwright: { ...fullStatus().meshwright, surprise: 1 } });
    expect(undocumentedProblems(s, statusSchema, '.status')).toEqual(['.status.meshwright.surprise: not described by the schema']);
  });
});
