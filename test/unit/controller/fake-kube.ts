// An in-memory stand-in for the apiserver behind KubeClient: stores objects by key, applies as a
// merge of the body over the stored object, bumps generation on spec changes, matches equality label
// selectors, and counts every mutating call so tests can assert "zero writes".
import type { KubernetesObject } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node';
import { objectKey } from '../../../operator/controller/apply/object-key';
import type {
  ListPagesOptions,
  PageVisitor,
  KubeClient,
  ObjectList,
  ObjectRef,
  ResourceInfo,
} from '../../../operator/controller/kube/kube-client';

type Obj = KubernetesObject & { spec?: unknown; status?: unknown };

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function keyOf(ref: ObjectRef): string {
  return objectKey({
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, namespace: ref.namespace },
  });
}

function matches(obj: KubernetesObject, selector?: string): boolean {
  if (!selector) return true;
  const labels = obj.metadata?.labels ?? {};
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return v === undefined ? k in labels : labels[k] === v;
  });
}

export class FakeKube implements KubeClient {
  readonly objects = new Map<string, Obj>();
  readonly writes: string[] = [];
  /** Every list call, as "list Kind". */
  readonly reads: string[] = [];
  /** Object key -> apiserver message: applying that object fails with 422. */
  readonly reject = new Map<string, string>();
  /** Kinds whose list is refused with 403 (missing RBAC). */
  readonly forbidList = new Set<string>();
  /** Kinds the apiserver does not serve (an absent CRD): get and apply fail as client-node's discovery does. */
  readonly unserved = new Set<string>();
  private rv = 1;

  private discover(kind: string | undefined, apiVersion: string | undefined): void {
    if (!kind || !this.unserved.has(kind)) return;
    const err = new ApiException(
      404,
      'Not Found',
      { message: 'the server could not find the requested resource' },
      {},
    );
    err.message = `Failed to fetch resource metadata for ${apiVersion}/${kind}: ${err.message}`;
    throw err;
  }

  /** `now` stamps deletionTimestamps (the apiserver's clock); tests pass their fake clock's. */
  constructor(private readonly now: () => number = () => Date.parse('2026-01-01T00:00:00Z')) {}

  seed(obj: Obj): void {
    this.objects.set(
      objectKey(obj),
      clone({ ...obj, metadata: { generation: 1, resourceVersion: String(this.rv++), ...obj.metadata } }),
    );
  }

  find(apiVersion: string, kind: string, name: string, namespace?: string): Obj | undefined {
    return this.objects.get(keyOf({ apiVersion, kind, name, namespace }));
  }

  async resource(): Promise<ResourceInfo | undefined> {
    return undefined;
  }

  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    this.discover(ref.kind, ref.apiVersion);
    const o = this.objects.get(keyOf(ref));
    return o && clone(o);
  }

  async list(apiVersion: string, kind: string, labelSelector?: string): Promise<ObjectList> {
    this.reads.push(`list ${kind}`);
    if (this.forbidList.has(kind)) {
      throw new ApiException(
        403,
        'Forbidden',
        { message: `${kind.toLowerCase()}s is forbidden: cannot list` },
        {},
      );
    }
    const items = [...this.objects.values()].filter(
      (o) => o.apiVersion === apiVersion && o.kind === kind && matches(o, labelSelector),
    );
    return { items: clone(items), resourceVersion: String(this.rv) };
  }

  /** Page size of listPages (the apiserver's limit/continue paging). */
  pageSize = 500;

  /** Page sizes callers asked listPages for. */
  readonly pageSizes: number[] = [];

  async listPages(
    apiVersion: string,
    kind: string,
    visit: PageVisitor,
    opts: ListPagesOptions = {},
  ): Promise<void> {
    const { items } = await this.list(apiVersion, kind, opts.labelSelector);
    if (opts.pageSize) this.pageSizes.push(opts.pageSize);
    for (let i = 0; i === 0 || i < items.length; i += this.pageSize)
      await visit(items.slice(i, i + this.pageSize));
  }

  async apply(obj: KubernetesObject, fieldManager: string, force: boolean): Promise<KubernetesObject> {
    this.discover(obj.kind, obj.apiVersion);
    this.writes.push(`apply ${obj.kind}/${obj.metadata?.name} ${fieldManager} force=${force}`);
    const key = objectKey(obj);
    const rejection = this.reject.get(key);
    if (rejection) throw new ApiException(422, 'Unprocessable', { kind: 'Status', message: rejection }, {});
    const prev = this.objects.get(key);
    const body = clone(obj) as Obj;
    const specChanged = JSON.stringify(prev?.spec) !== JSON.stringify(body.spec);
    const generation = (prev?.metadata?.generation ?? 0) + (prev && !specChanged ? 0 : 1);
    const next: Obj = {
      ...(prev ?? {}),
      ...body,
      metadata: {
        ...(prev?.metadata ?? {}),
        ...body.metadata,
        generation,
        resourceVersion: String(this.rv++),
      },
      status: prev?.status,
    };
    this.objects.set(key, next);
    return clone(next);
  }

  async mergePatch(ref: ObjectRef, patch: object, subresource?: 'status'): Promise<KubernetesObject> {
    this.writes.push(`patch ${ref.kind}/${ref.name}${subresource ? '/status' : ''}`);
    const key = keyOf(ref);
    const prev = this.objects.get(key);
    if (!prev) throw new ApiException(404, 'Not Found', { message: 'not found' }, {});
    const next = mergePatch(prev, clone(patch)) as Obj;
    next.metadata = { ...next.metadata, resourceVersion: String(this.rv++) };
    // Removing the last finalizer of a deleted object lets it go.
    if (next.metadata?.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0)
      this.objects.delete(key);
    else this.objects.set(key, next);
    return clone(next);
  }

  async create(obj: KubernetesObject): Promise<KubernetesObject> {
    this.writes.push(`create ${obj.kind}/${obj.metadata?.name ?? obj.metadata?.generateName}`);
    if (obj.kind === 'Event') {
      const e = obj as KubernetesObject & { type?: string; reason?: string; message?: string };
      this.eventLog.push(`${e.type} ${e.reason}: ${e.message}`);
      return obj;
    }
    const key = objectKey(obj);
    if (this.objects.has(key)) throw new ApiException(409, 'Conflict', { message: 'exists' }, {});
    this.seed(obj);
    return clone(this.objects.get(key)!);
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    this.writes.push(`delete ${ref.kind}/${ref.name}`);
    const key = keyOf(ref);
    const prev = this.objects.get(key);
    if (!prev) return false;
    if ((prev.metadata?.finalizers ?? []).length > 0) {
      // Deleting an object that is already terminating keeps its deletionTimestamp, like the apiserver.
      // Second precision, as the apiserver stores it.
      const deletionTimestamp =
        prev.metadata?.deletionTimestamp ?? new Date(Math.floor(this.now() / 1000) * 1000);
      prev.metadata = { ...prev.metadata, deletionTimestamp };
    } else {
      this.objects.delete(key);
    }
    return true;
  }

  /** Events recorded, as "Type Reason: message". */
  readonly eventLog: string[] = [];

  mutations(): string[] {
    return this.writes.filter((w) => !w.startsWith('create Event'));
  }
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k];
    else base[k] = mergePatch(base[k], v);
  }
  return base;
}
