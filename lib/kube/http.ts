// The lean client's transport: node:https (or node:http for a plain local apiserver) through one
// keep-alive Agent, JSON in and out, a timeout per request, an AbortSignal, and KubeApiError for every
// answer outside 2xx. Watches are streamed as newline-delimited JSON.
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeApiError, parseStatus } from './api-error';
import { connectionOf, type KubeConnection, type KubeSource } from './connection';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  /** Content-Type of the body; JSON unless a patch type is given. */
  contentType?: string;
  signal?: AbortSignal;
  /** Per-request timeout (the whole exchange); the client's default otherwise. */
  timeoutMs?: number;
  /** The Accept header; JSON unless given (e.g. metadata only: PARTIAL_METADATA_LIST). */
  accept?: string;
}

/** Accept headers asking the apiserver for objects' metadata only (PartialObjectMetadata). */
export const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
export const PARTIAL_METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

/** One request's deadline: long enough for a big list page or a CRD apply under load. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export function urlPath(path: string, query?: Query): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export class KubeHttp {
  readonly conn: KubeConnection;
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(
    src: KubeSource,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.conn = connectionOf(src);
    this.url = new URL(this.conn.server);
    const secure = this.url.protocol === 'https:';
    // No socket cap: every watch holds a socket for minutes, and a capped pool would queue every other
    // request behind them (the operator has ~18 watches).
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** Closes idle keep-alive sockets (tests, shutdown). */
  close(): void {
    this.agent.destroy();
  }

  private async options(method: string, pathAndQuery: string, headers: http.OutgoingHttpHeaders) {
    const { tls } = this.conn;
    const basePath = this.url.pathname.replace(/\/+$/, '');
    const opts: https.RequestOptions = {
      method,
      protocol: this.url.protocol,
      hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: this.url.port || (this.url.protocol === 'https:' ? 443 : 80),
      path: basePath + pathAndQuery,
      agent: this.agent,
      headers: { Accept: 'application/json', 'User-Agent': 'meshwright', ...headers },
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: !tls.insecureSkipTlsVerify,
      servername: tls.serverName,
    };
    const auth = this.conn.authorization?.();
    if (auth) (opts.headers as http.OutgoingHttpHeaders).Authorization = auth;
    if (this.conn.applyAuth) await this.conn.applyAuth(opts);
    return opts;
  }

  private async open(
    spec: RequestSpec,
    accept?: string,
  ): Promise<{ res: http.IncomingMessage; where: string }> {
    const where = urlPath(spec.path, spec.query);
    const headers: http.OutgoingHttpHeaders = {};
    let payload: string | undefined;
    if (spec.body !== undefined) {
      payload = JSON.stringify(spec.body);
      headers['Content-Type'] = spec.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    if (accept) headers.Accept = accept;
    const opts = await this.options(spec.method, where, headers);
    spec.signal?.throwIfAborted();
    const mod = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request({ ...opts, signal: spec.signal }, (res) => resolve({ res, where }));
      req.on('error', (err) => reject(new Error(`${spec.method} ${where}: ${err.message}`, { cause: err })));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** One request; the parsed JSON answer, or KubeApiError carrying the apiserver's Status. */
  async request<T>(spec: RequestSpec): Promise<T> {
    const timeout = AbortSignal.timeout(spec.timeoutMs ?? this.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    try {
      const { res, where } = await this.open({ ...spec, signal }, spec.accept);
      const text = await readBody(res);
      const code = res.statusCode ?? 0;
      if (code < 200 || code > 299) throw new KubeApiError(spec.method, where, code, parseStatus(text));
      return (text ? JSON.parse(text) : {}) as T;
    } catch (err) {
      if (spec.signal?.aborted) {
        const why = spec.signal.reason instanceof Error ? spec.signal.reason.message : 'aborted';
        throw new Error(`${spec.method} ${spec.path}: cancelled (${why})`, { cause: err });
      }
      if (timeout.aborted)
        throw new Error(
          `${spec.method} ${spec.path}: no answer within ${spec.timeoutMs ?? this.timeoutMs} ms`,
        );
      throw err;
    }
  }

  /**
   * A streaming GET (watch): each JSON line is handed to `onLine`; resolves when the server ends the
   * stream, rejects with KubeApiError when it refuses the watch, or with an abort error on `signal`.
   */
  async stream(spec: Omit<RequestSpec, 'method' | 'body'>, onLine: (value: unknown) => void): Promise<void> {
    const { res, where } = await this.open({ ...spec, method: 'GET' }, spec.accept);
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299)
      throw new KubeApiError('GET', where, code, parseStatus(await readBody(res)));
    res.setEncoding('utf8');
    let rest = '';
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: string) => {
        rest += chunk;
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl).trim();
          rest = rest.slice(nl + 1);
          if (!line) continue;
          try {
            onLine(JSON.parse(line));
          } catch (err) {
            res.destroy();
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
          }
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
      res.on('close', () =>
        res.complete ? resolve() : reject(new Error(`GET ${where}: watch stream closed`)),
      );
    });
  }
}

/**
 * The body as text, decoded chunk by chunk (multi-byte characters split across chunks included): a page of
 * pods (megabytes) is never also one off-heap buffer, which glibc's malloc keeps after it is freed.
 */
function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    res.setEncoding('utf8');
    let text = '';
    res.on('data', (c: string) => {
      text += c;
    });
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });
}
