// A minimal keep-alive REST client for the bench's own apiserver calls (the admin token of the local
// control plane). Plain JSON in and out, no typed models: the bench creates thousands of pods and
// should spend its CPU on requests, not on (de)serialisers; a distinct User-Agent keeps the bench's
// requests apart from the operator's in the audit log.
import { Agent, request } from 'node:https';

export const BENCH_USER_AGENT = 'meshwright-bench';

export interface KubeResponse {
  status: number;
  body: string;
}

export class KubeRest {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    server: string,
    private readonly token: string,
    caPem: string,
    connections = 32,
  ) {
    this.url = new URL(server);
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, ca: caPem });
  }

  send(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    accept = 'application/json',
  ): Promise<KubeResponse> {
    const data =
      body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          path,
          method,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept,
            'user-agent': BENCH_USER_AGENT,
            ...(data ? { 'content-type': contentType, 'content-length': data.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  /** JSON of a 2xx answer; throws with the apiserver's message otherwise. */
  async json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const r = await this.send(method, path, body, contentType);
    if (r.status < 200 || r.status > 299)
      throw new Error(`${method} ${path}: HTTP ${r.status}: ${messageOf(r.body)}`);
    return JSON.parse(r.body) as T;
  }

  /** Server-side apply of a JSON object at its resource path. */
  apply<T>(path: string, obj: unknown): Promise<T> {
    return this.json<T>(
      'PATCH',
      `${path}?fieldManager=${BENCH_USER_AGENT}&force=true`,
      obj,
      'application/apply-patch+yaml',
    );
  }

  /** Names only (PartialObjectMetadataList), for counting thousands of objects cheaply. */
  async listMeta(path: string, query = ''): Promise<{ name: string; labels: Record<string, string> }[]> {
    const r = await this.send(
      'GET',
      `${path}${query ? `?${query}` : ''}`,
      undefined,
      undefined,
      'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
    );
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}: ${messageOf(r.body)}`);
    const list = JSON.parse(r.body) as {
      items?: { metadata?: { name?: string; labels?: Record<string, string> } }[];
    };
    return (list.items ?? []).map((i) => ({
      name: i.metadata?.name ?? '',
      labels: i.metadata?.labels ?? {},
    }));
  }

  async delete(path: string): Promise<void> {
    const r = await this.send('DELETE', path);
    if (r.status !== 404 && (r.status < 200 || r.status > 299))
      throw new Error(`DELETE ${path}: HTTP ${r.status}: ${messageOf(r.body)}`);
  }

  /** The apiserver's Prometheus text (/metrics needs the admin token). */
  async metrics(): Promise<string> {
    const r = await this.send('GET', '/metrics', undefined, undefined, 'text/plain');
    if (r.status !== 200) throw new Error(`GET /metrics: HTTP ${r.status}`);
    return r.body;
  }

  close(): void {
    this.agent.destroy();
  }
}

function messageOf(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON
  }
  return body.slice(0, 300);
}

/** Waits until the namespace's default ServiceAccount exists (pods are refused before). */
export async function waitForServiceAccount(
  kube: KubeRest,
  namespace: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await kube.send('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/default`)).status !== 200) {
    if (Date.now() > deadline)
      throw new Error(`no default ServiceAccount in ${namespace} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
