// An in-memory LeaseStore with optimistic concurrency like the apiserver: writes must carry the
// version that was read, otherwise they fail with a conflict.
import type { LeaseRecord } from '../../../operator/controller/leader/lease-record';
import type { LeaseStore, StoredLease } from '../../../operator/controller/leader/lease-store';

export class MemoryLeaseStore implements LeaseStore {
  lease: StoredLease | undefined;
  private version = 0;
  failing = false;
  /** Every call, as "get", "create" or "update". */
  readonly calls: string[] = [];

  describe(): string {
    return 'memory/lease';
  }

  async get(): Promise<StoredLease | undefined> {
    this.calls.push('get');
    if (this.failing) throw new Error('apiserver unavailable');
    return this.lease && { record: { ...this.lease.record }, version: this.lease.version };
  }

  async create(record: LeaseRecord): Promise<string> {
    this.calls.push('create');
    if (this.failing) throw new Error('apiserver unavailable');
    if (this.lease) throw Object.assign(new Error('already exists'), { code: 409 });
    this.lease = { record: { ...record }, version: String(++this.version) };
    return this.lease.version;
  }

  async update(record: LeaseRecord, version: string): Promise<string> {
    this.calls.push('update');
    if (this.failing) throw new Error('apiserver unavailable');
    if (!this.lease || this.lease.version !== version)
      throw Object.assign(new Error('conflict'), { code: 409 });
    this.lease = { record: { ...record }, version: String(++this.version) };
    return this.lease.version;
  }
}
