// Reads and writes the election Lease (coordination.k8s.io/v1) through the lean client. Writes carry
// the resourceVersion that was read, so two candidates racing for the same lease cannot both win:
// the apiserver rejects the slower one with a 409 conflict.
import type { V1Lease } from '@kubernetes/client-node';
import type { KubeHttp } from '../../../lib/kube/http';
import { formatMicroTime, parseMicroTime } from '../../../lib/kube/micro-time';
import type { LeaseRecord } from './lease-record';
import { isNotFound } from '../kube/api-errors';

export interface StoredLease {
  record: LeaseRecord;
  version: string;
}

export interface LeaseStore {
  describe(): string;
  get(): Promise<StoredLease | undefined>;
  /** Both writes return the written Lease's resourceVersion, so the holder can renew without a read. */
  create(record: LeaseRecord): Promise<string>;
  update(record: LeaseRecord, version: string): Promise<string>;
}

// The type declares MicroTime fields as Date; on the wire (and so here) they are strings. Accept both.
function millis(value: unknown): number {
  return value instanceof Date ? value.getTime() : parseMicroTime(value);
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

/** A Lease as sent: MicroTime fields as their wire strings. */
type WireLease = Omit<V1Lease, 'spec'> & {
  spec: Omit<NonNullable<V1Lease['spec']>, 'acquireTime' | 'renewTime'> & {
    acquireTime: string;
    renewTime: string;
  };
};

export class KubeLeaseStore implements LeaseStore {
  private readonly collection: string;

  constructor(
    private readonly http: KubeHttp,
    private readonly namespace: string,
    private readonly name: string,
  ) {
    this.collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  }

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  async get(): Promise<StoredLease | undefined> {
    try {
      const lease = await this.http.request<V1Lease>({ method: 'GET', path: this.itemPath() });
      return { record: recordFromLease(lease), version: lease.metadata?.resourceVersion ?? '' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<string> {
    const lease = await this.http.request<V1Lease>({
      method: 'POST',
      path: this.collection,
      body: this.body(record),
    });
    return lease.metadata?.resourceVersion ?? '';
  }

  async update(record: LeaseRecord, version: string): Promise<string> {
    const body = this.body(record);
    body.metadata = { ...body.metadata, resourceVersion: version };
    const lease = await this.http.request<V1Lease>({ method: 'PUT', path: this.itemPath(), body });
    return lease.metadata?.resourceVersion ?? '';
  }

  private itemPath(): string {
    return `${this.collection}/${encodeURIComponent(this.name)}`;
  }

  private body(r: LeaseRecord): WireLease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: r.holderIdentity,
        leaseDurationSeconds: r.leaseDurationSeconds,
        acquireTime: formatMicroTime(r.acquireTime),
        renewTime: formatMicroTime(r.renewTime),
        leaseTransitions: r.leaseTransitions,
      },
    };
  }
}
