// client-node's KubernetesObjectApi resolves any apiVersion/kind to a URL through discovery, but it
// (de)serialises bodies through the typed models, which renames or drops fields the models spell
// differently (CRD schemas' `x-kubernetes-*`, `$ref`) and turns timestamps into Dates. This subclass
// keeps the discovery, auth and middleware and sends/receives plain JSON instead.
import {
  HttpMethod,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
  type RequestContext,
  type ResponseContext,
  ApiException,
} from '@kubernetes/client-node';
import { isNotFound } from './api-errors';
import { isKindNotServed } from './served-kind';
import {
  refOf,
  type KubeClient,
  type ListPagesOptions,
  type PageVisitor,
  type ObjectList,
  type ObjectRef,
  type ResourceInfo,
} from './kube-client';

const JSON_TYPE = 'application/json';

/** Exposes the protected discovery and transport of KubernetesObjectApi under names of its own. */
class WireApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): WireApi {
    const api = kc.makeApiClient(WireApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  async resourceInfo(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const r = await this.resource(apiVersion, kind);
    return r ? { plural: r.name, namespaced: r.namespaced } : undefined;
  }

  async context(
    header: KubernetesObject,
    action: Action,
    method: HttpMethod,
    subresource?: string,
  ): Promise<RequestContext> {
    // specUriPath fills in defaults on the object it is given, so it only ever sees a fresh header.
    let path = await this.specUriPath(header, action);
    if (subresource) path += `/${subresource}`;
    const ctx = this.configuration.baseServer.makeRequestContext(path, method);
    ctx.setHeaderParam('Accept', JSON_TYPE);
    return ctx;
  }

  send<T extends KubernetesObject>(ctx: RequestContext): Promise<T> {
    return this.requestPromise<T>(ctx);
  }

  /** Plain JSON in, plain JSON out: no typed-model deserialisation. */
  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
  ): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) {
      return (text ? JSON.parse(text) : {}) as T;
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', body, response.headers);
  }
}

type Action = 'read' | 'list' | 'patch' | 'create' | 'delete';

function header(ref: ObjectRef): KubernetesObject {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, namespace: ref.namespace },
  };
}

/**
 * Lists are read in pages of this many objects: a cluster's pods (the sidecar census) can be tens of
 * megabytes of JSON, and one parse of that holds the event loop; pages keep each parse short and let
 * other work run between them.
 */
export const LIST_PAGE_SIZE = 500;

export class RawKubeClient implements KubeClient {
  private readonly api: WireApi;

  constructor(
    kc: KubeConfig,
    private readonly pageSize = LIST_PAGE_SIZE,
  ) {
    this.api = WireApi.forConfig(kc);
  }

  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.api.resourceInfo(apiVersion, kind);
  }

  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    const ctx = await this.api.context(header(ref), 'read', HttpMethod.GET);
    try {
      return await this.api.send(ctx);
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
    let token: string | undefined;
    let resourceVersion = '';
    do {
      let ctx: RequestContext;
      try {
        ctx = await this.api.context(
          header({ apiVersion, kind, name: '', namespace }),
          'list',
          HttpMethod.GET,
        );
      } catch (err) {
        // Discovery says the kind is not served (an absent CRD): there is nothing of it to list.
        if (isKindNotServed(err)) return '';
        throw err;
      }
      if (labelSelector) ctx.setQueryParam('labelSelector', labelSelector);
      ctx.setQueryParam('limit', String(pageSize));
      if (token) ctx.setQueryParam('continue', token);
      const page = await this.api.send<
        KubernetesObject & { items?: KubernetesObject[]; metadata?: { continue?: string } }
      >(ctx);
      // Items of a list carry no apiVersion/kind; restore them so callers can key and apply them.
      await visit((page.items ?? []).map((o) => ({ ...o, apiVersion, kind })));
      // Every page is of the first page's snapshot; its resourceVersion is the list's.
      resourceVersion ||= page.metadata?.resourceVersion ?? '';
      token = page.metadata?.continue || undefined;
    } while (token);
    return resourceVersion;
  }

  async apply(obj: KubernetesObject, fieldManager: string, force: boolean): Promise<KubernetesObject> {
    const ctx = await this.api.context(header(refOf(obj)), 'patch', HttpMethod.PATCH);
    ctx.setHeaderParam('Content-Type', 'application/apply-patch+yaml');
    ctx.setQueryParam('fieldManager', fieldManager);
    ctx.setQueryParam('force', String(force));
    ctx.setBody(JSON.stringify(obj));
    return this.api.send(ctx);
  }

  async mergePatch(ref: ObjectRef, patch: object, subresource?: 'status'): Promise<KubernetesObject> {
    const ctx = await this.api.context(header(ref), 'patch', HttpMethod.PATCH, subresource);
    ctx.setHeaderParam('Content-Type', 'application/merge-patch+json');
    ctx.setBody(JSON.stringify(patch));
    return this.api.send(ctx);
  }

  async create(obj: KubernetesObject): Promise<KubernetesObject> {
    const ctx = await this.api.context(header(refOf(obj)), 'create', HttpMethod.POST);
    ctx.setHeaderParam('Content-Type', JSON_TYPE);
    ctx.setBody(JSON.stringify(obj));
    return this.api.send(ctx);
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    const ctx = await this.api.context(header(ref), 'delete', HttpMethod.DELETE);
    ctx.setHeaderParam('Content-Type', JSON_TYPE);
    ctx.setBody(JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' }));
    try {
      await this.api.send(ctx);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
