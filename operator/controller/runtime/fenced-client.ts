// A KubeClient that refuses every call once a signal is aborted. The operator's reconcilers get one
// fenced by the leadership term, so a replica that lost its lease stops writing within one API call
// (the call already sent completes; the next one throws) without every apply, prune and rollout step
// checking the signal itself. A client that supports it (the lean RawKubeClient) also gets the signal,
// so a request still in flight when the lease is lost is aborted too.
import type { KubernetesObject } from '@kubernetes/client-node';
import type {
  KubeClient,
  ListPagesOptions,
  ObjectList,
  ObjectRef,
  PageVisitor,
  ResourceInfo,
} from '../kube/kube-client';

export class CancelledError extends Error {
  constructor(reason: unknown) {
    super(`cancelled: ${reason instanceof Error ? reason.message : String(reason ?? 'aborted')}`);
    this.name = 'CancelledError';
  }
}

/** Throws CancelledError when `signal` is aborted. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError(signal.reason);
}

export class FencedClient implements KubeClient {
  /** `signal` is read on every call, so the fence can follow a new leadership term. */
  constructor(
    private readonly inner: KubeClient,
    private readonly signal: () => AbortSignal,
  ) {}

  private async call<T>(run: (c: KubeClient) => Promise<T>): Promise<T> {
    const signal = this.signal();
    throwIfCancelled(signal);
    return run(this.inner.withSignal?.(signal) ?? this.inner);
  }

  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.call((c) => c.resource(apiVersion, kind));
  }
  get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    return this.call((c) => c.get(ref));
  }
  list(apiVersion: string, kind: string, labelSelector?: string, namespace?: string): Promise<ObjectList> {
    return this.call((c) => c.list(apiVersion, kind, labelSelector, namespace));
  }
  listPages(apiVersion: string, kind: string, visit: PageVisitor, opts?: ListPagesOptions): Promise<void> {
    // Each page is a request of its own: stop between pages too.
    const fenced: PageVisitor = (items) => {
      throwIfCancelled(this.signal());
      return visit(items);
    };
    return this.call((c) => c.listPages(apiVersion, kind, fenced, opts));
  }
  apply(obj: KubernetesObject, fieldManager: string, force: boolean): Promise<KubernetesObject> {
    return this.call((c) => c.apply(obj, fieldManager, force));
  }
  mergePatch(ref: ObjectRef, patch: object, subresource?: 'status'): Promise<KubernetesObject> {
    return this.call((c) => c.mergePatch(ref, patch, subresource));
  }
  create(obj: KubernetesObject): Promise<KubernetesObject> {
    return this.call((c) => c.create(obj));
  }
  delete(ref: ObjectRef): Promise<boolean> {
    return this.call((c) => c.delete(ref));
  }
}
