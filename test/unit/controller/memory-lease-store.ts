// An in-memory LeaseStore with optimistic concurrency like the apiserver: writes must carry the
// version that was read, otherwise they fail with a conflict.
import type { LeaseRecord } from '../../../operator/controller/leader/lease-record';
import type { LeaseStore, StoredLease } from '../../../operator/controller/leader/lease-store';

export class MemoryLeaseStore implements LeaseStore {
  lease: StoredLease | undefined;
  private version = 0;
  failing = false;

  describe(): string {
    return 'memory/lease';
  }

  async get(): Promise<StoredLease | undefined> {
    if (this.failing) throw new Error('apiserver unavailable');
    return this.lease && { record: { ...this.lease.record }, version: this.lease.version };
  }

  async create(record: LeaseRecord): Promise<void> {
    if (this.failing) throw new Error('apiserver unavailable');
    if (this.lease) throw Object.assign(new Error('already exists'), { code: 409 });
    this.lease = { record: { ...record }, version: String(++this.version) };
  }

  async update(record: LeaseRecord, version: string): Promise<void> {
    if (this.failing) throw new Error('apiserver unavailable');
    if (!this.lease || this.lease.version !== version)
      throw Object.assign(new Error('conflict'), { code: 409 });
    this.lease = { record: { ...record }, version: String(++this.version) };
  }
}
