// Reads and writes the election Lease through the typed coordination.k8s.io/v1 client. Writes carry
// the resourceVersion that was read, so two candidates racing for the same lease cannot both win:
// the apiserver rejects the slower one with a 409 conflict.
import { CoordinationV1Api, type KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { LeaseRecord } from './lease-record';
import { isNotFound } from '../kube/api-errors';

export interface StoredLease {
  record: LeaseRecord;
  version: string;
}

export interface LeaseStore {
  describe(): string;
  get(): Promise<StoredLease | undefined>;
  create(record: LeaseRecord): Promise<void>;
  update(record: LeaseRecord, version: string): Promise<void>;
}

// The client declares MicroTime fields as Date but hands back the wire string; accept both.
function millis(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  return 0;
}

export function recordFromLease(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: millis(spec.acquireTime),
    renewTime: millis(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

export class KubeLeaseStore implements LeaseStore {
  private readonly api: CoordinationV1Api;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  async get(): Promise<StoredLease | undefined> {
    try {
      const lease = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
      return { record: recordFromLease(lease), version: lease.metadata?.resourceVersion ?? '' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<void> {
    await this.api.createNamespacedLease({ namespace: this.namespace, body: this.body(record) });
  }

  async update(record: LeaseRecord, version: string): Promise<void> {
    const body = this.body(record);
    body.metadata = { ...body.metadata, resourceVersion: version };
    await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body });
  }

  private body(r: LeaseRecord): V1Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: r.holderIdentity,
        leaseDurationSeconds: r.leaseDurationSeconds,
        acquireTime: new V1MicroTime(r.acquireTime),
        renewTime: new V1MicroTime(r.renewTime),
        leaseTransitions: r.leaseTransitions,
      },
    };
  }
}
