// The operator's KubeClient on the lean client (lib/kube): any apiVersion/kind resolved to a URL through
// cached discovery, bodies sent and received as plain JSON (so CRD schemas keep `x-kubernetes-*` keys
// and timestamps stay strings), errors as KubeApiError. It does not load @kubernetes/client-node.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Discovery, discoveryFetcher } from '../../../lib/kube/discovery';
import { KubeHttp } from '../../../lib/kube/http';
import type { KubeSource } from '../../../lib/kube/connection';
import { isNotFound } from './api-errors';
import { KindNotServedError } from './served-kind';
import {
  refOf,
  type KubeClient,
  type ListPagesOptions,
  type PageVisitor,
  type ObjectList,
  type ObjectRef,
  type ResourceInfo,
} from './kube-client';

/**
 * Lists are read in pages of this many objects: a cluster's pods (the sidecar census) can be tens of
 * megabytes of JSON, and one parse of that holds the event loop; pages keep each parse short and let
 * other work run between them.
 */
export const LIST_PAGE_SIZE = 500;

/** The collection path of a resource, in a namespace or across all (or cluster-scoped). */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${root}/${plural}`;
}

type ListPage = { items?: KubernetesObject[]; metadata?: { continue?: string; resourceVersion?: string } };

export class RawKubeClient implements KubeClient {
  readonly http: KubeHttp;
  readonly discovery: Discovery;

  constructor(
    src: KubeSource | KubeHttp,
    private readonly pageSize = LIST_PAGE_SIZE,
    /** A view's discovery cache and abort signal (withSignal). */
    shared?: { discovery: Discovery; signal: AbortSignal },
  ) {
    this.http = src instanceof KubeHttp ? src : new KubeHttp(src);
    this.discovery =
      shared?.discovery ??
      new Discovery(discoveryFetcher((path) => this.http.request({ method: 'GET', path })));
    this.signal = shared?.signal;
  }

  private readonly signal: AbortSignal | undefined;

  /** This client with every request (in flight or not) aborted when `signal` fires; transport and cache shared. */
  withSignal(signal: AbortSignal): RawKubeClient {
    return new RawKubeClient(this.http, this.pageSize, { discovery: this.discovery, signal });
  }

  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.discovery.resource(apiVersion, kind);
  }

  /** The URL path of one object (or of its kind's collection when `name` is empty). */
  private async pathOf(ref: ObjectRef, subresource?: string): Promise<string> {
    const info = await this.discovery.resource(ref.apiVersion, ref.kind);
    if (!info) throw new KindNotServedError(ref.apiVersion, ref.kind);
    const ns = info.namespaced ? ref.namespace || this.http.conn.namespace : undefined;
    let path = collectionPath(ref.apiVersion, info.plural, ns);
    if (ref.name) path += `/${encodeURIComponent(ref.name)}`;
    if (subresource) path += `/${subresource}`;
    return path;
  }

  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    try {
      return await this.http.request<KubernetesObject>({
        method: 'GET',
        path: await this.pathOf(ref),
        signal: this.signal,
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    labelSelector?: string,
    namespace?: string,
  ): Promise<ObjectList> {
    const items: KubernetesObject[] = [];
    const resourceVersion = await this.pages(
      apiVersion,
      kind,
      (page) => void items.push(...page),
      labelSelector,
      namespace,
    );
    return { items, resourceVersion };
  }

  async listPages(
    apiVersion: string,
    kind: string,
    visit: PageVisitor,
    opts: ListPagesOptions = {},
  ): Promise<void> {
    await this.pages(apiVersion, kind, visit, opts.labelSelector, undefined, opts.pageSize);
  }

  /**
   * Reads the list in pages (limit/continue), handing each to `visit`; returns the list's resourceVersion.
   * A kind the apiserver does not serve lists as empty.
   */
  private async pages(
    apiVersion: string,
    kind: string,
    visit: PageVisitor,
    labelSelector?: string,
    namespace?: string,
    pageSize = this.pageSize,
  ): Promise<string> {
    const info = await this.discovery.resource(apiVersion, kind);
    // Discovery says the kind is not served (an absent CRD): there is nothing of it to list.
    if (!info) return '';
    const path = collectionPath(apiVersion, info.plural, info.namespaced ? namespace : undefined);
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.http.request<ListPage>({
        method: 'GET',
        path,
        query: { labelSelector, limit: pageSize, continue: token },
        signal: this.signal,
      });
      // Items of a list carry no apiVersion/kind; restore them so callers can key and apply them.
      await visit((page.items ?? []).map((o) => ({ ...o, apiVersion, kind })));
      // Every page is of the first page's snapshot; its resourceVersion is the list's.
      resourceVersion ||= page.metadata?.resourceVersion ?? '';
      token = page.metadata?.continue || undefined;
    } while (token);
    return resourceVersion;
  }

  async apply(obj: KubernetesObject, fieldManager: string, force: boolean): Promise<KubernetesObject> {
    return this.http.request({
      method: 'PATCH',
      path: await this.pathOf(refOf(obj)),
      query: { fieldManager, force },
      // JSON is YAML: the apply-patch content type takes it as is.
      contentType: 'application/apply-patch+yaml',
      body: obj,
      signal: this.signal,
    });
  }

  async mergePatch(ref: ObjectRef, patch: object, subresource?: 'status'): Promise<KubernetesObject> {
    return this.http.request({
      method: 'PATCH',
      path: await this.pathOf(ref, subresource),
      contentType: 'application/merge-patch+json',
      body: patch,
      signal: this.signal,
    });
  }

  /** RFC 6902 JSON patch (tests and tools; the reconciler uses apply and merge patches). */
  async jsonPatch(ref: ObjectRef, ops: object[], subresource?: 'status'): Promise<KubernetesObject> {
    return this.http.request({
      method: 'PATCH',
      path: await this.pathOf(ref, subresource),
      contentType: 'application/json-patch+json',
      body: ops,
      signal: this.signal,
    });
  }

  async create(obj: KubernetesObject): Promise<KubernetesObject> {
    const ref = refOf(obj);
    const path = await this.pathOf({ ...ref, name: '' });
    return this.http.request({ method: 'POST', path, body: obj, signal: this.signal });
  }

  /** Replaces the whole object (PUT); its metadata.resourceVersion makes the write conditional. */
  async replace(obj: KubernetesObject, subresource?: 'status'): Promise<KubernetesObject> {
    const path = await this.pathOf(refOf(obj), subresource);
    return this.http.request({ method: 'PUT', path, body: obj, signal: this.signal });
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.http.request({
        method: 'DELETE',
        path: await this.pathOf(ref),
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
        signal: this.signal,
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
