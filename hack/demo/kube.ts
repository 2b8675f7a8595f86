// The few Kubernetes operations the demo needs, on @kubernetes/client-node (kubectl is not assumed):
// server-side apply of parsed YAML, reads, deletes, and polling with visible progress.
import {
  ApiException,
  HttpMethod,
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
  type ResponseContext,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { errorMessage } from '../../lib/errors';

export const FIELD_MANAGER = 'meshwright-demo';

export type Obj = KubernetesObject & Record<string, unknown>;

export function loadKubeConfigFile(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** Every non-empty document of a YAML stream (comments-only documents are dropped). */
export function parseYamlStream(text: string, source: string): Obj[] {
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message ?? 'YAML error'}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value))
      throw new Error(`${source}: a document is not an object`);
    out.push(value as Obj);
  }
  return out;
}

/** HTTP status of a client-node ApiException (undefined for transport errors). */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** A readable one-liner for apiserver errors: the Status message when there is one. */
export function describeError(err: unknown): string {
  const e = err as { body?: unknown; message?: unknown };
  if (typeof e.body === 'string') {
    try {
      const status = JSON.parse(e.body) as { message?: unknown };
      if (typeof status.message === 'string') return status.message;
    } catch {
      // not JSON: fall through
    }
  }
  return errorMessage(err);
}

export const nameOf = (o: KubernetesObject): string =>
  `${o.kind ?? '?'}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;

type Verb = 'read' | 'list' | 'patch' | 'create' | 'delete';

/**
 * KubernetesObjectApi's discovery and auth, but plain JSON bodies: its typed models drop fields they spell
 * differently (a CRD schema's `x-kubernetes-int-or-string` would vanish). The operator's RawKubeClient does
 * the same for its own surface; the demo and the config test also need dry runs and dry-run creates.
 */
class JsonObjectApi extends KubernetesObjectApi {
  /** Set to act as another user (the apiserver adds a ServiceAccount user's groups itself). */
  impersonate?: string;

  async call<T>(
    verb: Verb,
    method: HttpMethod,
    ref: KubernetesObject,
    query: Record<string, string> = {},
    body?: { type: string; value: unknown },
  ): Promise<T> {
    const header = {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.metadata?.name, namespace: ref.metadata?.namespace },
    };
    const ctx = this.configuration.baseServer.makeRequestContext(
      await this.specUriPath(header, verb),
      method,
    );
    ctx.setHeaderParam('Accept', 'application/json');
    if (this.impersonate) ctx.setHeaderParam('Impersonate-User', this.impersonate);
    for (const [k, v] of Object.entries(query)) ctx.setQueryParam(k, v);
    if (body) {
      ctx.setHeaderParam('Content-Type', body.type);
      ctx.setBody(JSON.stringify(body.value));
    }
    return this.requestPromise<KubernetesObject>(ctx) as Promise<T>;
  }

  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
  ): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299)
      return (text ? JSON.parse(text) : {}) as T;
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', text, response.headers);
  }
}

export class Kube {
  private readonly api: JsonObjectApi;

  /** `impersonate`: a user name to act as (the config test checks RBAC this way). */
  constructor(
    readonly kc: KubeConfig,
    impersonate?: string,
  ) {
    this.api = kc.makeApiClient(JsonObjectApi);
    this.api.impersonate = impersonate;
  }

  /** Server-side apply (force: the demo owns what it applies), optionally as a dry run. */
  async apply(obj: Obj, namespace?: string, dryRun = false): Promise<Obj> {
    const body: Obj =
      namespace && !obj.metadata?.namespace ? { ...obj, metadata: { ...obj.metadata, namespace } } : obj;
    try {
      return await this.api.call<Obj>(
        'patch',
        HttpMethod.PATCH,
        body,
        { fieldManager: FIELD_MANAGER, force: 'true', ...(dryRun ? { dryRun: 'All' } : {}) },
        { type: 'application/apply-patch+yaml', value: body },
      );
    } catch (err) {
      throw new Error(`apply ${nameOf(body)}: ${describeError(err)}`);
    }
  }

  /** POST, optionally as a dry run (the object comes back as admission left it). */
  async create(obj: Obj, dryRun = false): Promise<Obj> {
    return this.api.call<Obj>('create', HttpMethod.POST, obj, dryRun ? { dryRun: 'All' } : {}, {
      type: 'application/json',
      value: obj,
    });
  }

  /** The live object, or undefined when it does not exist. */
  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<Obj | undefined> {
    try {
      return await this.api.call<Obj>('read', HttpMethod.GET, {
        apiVersion,
        kind,
        metadata: { name, namespace },
      });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<Obj[]> {
    const list = await this.api.call<{ items?: Obj[] }>(
      'list',
      HttpMethod.GET,
      { apiVersion, kind, metadata: { namespace } },
      labelSelector ? { labelSelector } : {},
    );
    // List items carry no apiVersion/kind.
    return (list.items ?? []).map((o) => ({ ...o, apiVersion, kind }));
  }

  /** A strategic merge patch (lists merged by their key, e.g. webhooks by name). */
  async strategicPatch(obj: Obj, patch: Record<string, unknown>): Promise<Obj> {
    try {
      return await this.api.call<Obj>(
        'patch',
        HttpMethod.PATCH,
        obj,
        { fieldManager: FIELD_MANAGER },
        {
          type: 'application/strategic-merge-patch+json',
          value: patch,
        },
      );
    } catch (err) {
      throw new Error(`patch ${nameOf(obj)}: ${describeError(err)}`);
    }
  }

  /** Deletes; absent is fine. Returns whether something was deleted. */
  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> {
    try {
      await this.api.call('delete', HttpMethod.DELETE, { apiVersion, kind, metadata: { name, namespace } });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw new Error(`delete ${kind}/${name}: ${describeError(err)}`);
    }
  }
}

/** Applies the namespace (with `labels`) and waits for its default ServiceAccount, without which pods are refused. */
export async function ensureNamespace(
  kube: Kube,
  name: string,
  labels: Record<string, string>,
  say: (line: string) => void,
): Promise<void> {
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  await waitUntil(
    `namespace ${name}`,
    60_000,
    async () =>
      (await kube.get('v1', 'ServiceAccount', 'default', name))
        ? { done: undefined }
        : { progress: 'waiting for its default ServiceAccount' },
    say,
  );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns a value (not undefined). `progress` lines are printed only when they
 * change, so a long wait shows what it is waiting for without flooding the terminal. Errors thrown by
 * `check` count as "not yet"; the last one is in the timeout message.
 */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<{ done: T } | { progress: string }>,
  say: (line: string) => void,
  intervalMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastProgress = '';
  let lastError = '';
  for (;;) {
    try {
      const r = await check();
      if ('done' in r) return r.done;
      lastError = '';
      if (r.progress !== lastProgress) say(`  ${what}: ${r.progress}`);
      lastProgress = r.progress;
    } catch (err) {
      lastError = describeError(err);
    }
    if (Date.now() >= deadline) {
      const detail = lastError || lastProgress;
      throw new Error(
        `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${detail ? ` (${detail})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}
