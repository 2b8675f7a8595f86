import type { V1Pod } from '@kubernetes/client-node';
import { workloadOf } from '../../../inject/owner';

const owned = (
  kind: string,
  name: string,
  labels: Record<string, string> = {},
  apiVersion = 'apps/v1',
): V1Pod => ({
  metadata: {
    generateName: `${name}-`,
    labels,
    ownerReferences: [{ apiVersion, kind, name, uid: 'u', controller: true }],
  },
  spec: { containers: [] },
});

describe('workloadOf', () => {
  it('names a ReplicaSet pod after its Deployment via pod-template-hash', () => {
    const p = owned('ReplicaSet', 'web-7d9f8c6b5', { 'pod-template-hash': '7d9f8c6b5' });
    expect(workloadOf(p, 'shop')).toEqual({
      name: 'web',
      namespace: 'shop',
      apiVersion: 'apps/v1',
      kind: 'Deployment',
    });
  });

  it('keeps a bare ReplicaSet when the hash does not match', () => {
    const p = owned('ReplicaSet', 'web-abc', { 'pod-template-hash': 'zzz' });
    expect(workloadOf(p, 'shop')).toMatchObject({ name: 'web-abc', kind: 'ReplicaSet' });
  });

  it('names a Job pod after its CronJob when the Job name ends in a schedule timestamp', () => {
    const p = owned('Job', 'report-29000000', {}, 'batch/v1');
    expect(workloadOf(p, 'ops')).toEqual({
      name: 'report',
      namespace: 'ops',
      apiVersion: 'batch/v1',
      kind: 'CronJob',
    });
    expect(workloadOf(owned('Job', 'migrate-1234', {}, 'batch/v1'), 'ops')).toMatchObject({
      name: 'migrate-1234',
      kind: 'Job',
    });
  });

  it('names an OpenShift ReplicationController pod after its DeploymentConfig', () => {
    const p = owned('ReplicationController', 'hello-1', { deploymentconfig: 'hello' }, 'v1');
    expect(workloadOf(p, 'ns')).toEqual({
      name: 'hello',
      namespace: 'ns',
      apiVersion: 'v1',
      kind: 'DeploymentConfig',
    });
  });

  it('is the pod itself without a controller or a generated name', () => {
    expect(workloadOf({ metadata: { name: 'solo' }, spec: { containers: [] } }, 'ns')).toEqual({
      name: 'solo',
      namespace: 'ns',
      apiVersion: 'v1',
      kind: 'Pod',
    });
    const named = owned('ReplicaSet', 'web-1', { 'pod-template-hash': '1' });
    named.metadata = { ...named.metadata, generateName: undefined, name: 'fixed' };
    expect(workloadOf(named, 'ns')).toMatchObject({ name: 'fixed', kind: 'Pod' });
  });

  it('lets the caller name the workload (kube-inject)', () => {
    const w = workloadOf({ spec: { containers: [] } }, 'ns', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      name: 'c',
    });
    expect(w).toEqual({ name: 'c', namespace: 'ns', apiVersion: 'batch/v1', kind: 'CronJob' });
  });
});
