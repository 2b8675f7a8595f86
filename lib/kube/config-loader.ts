// Kubeconfig loading for the lean client, without client-node (whose KubeConfig alone loads its 1,001
// generated modules, ~70 MiB). Precedence (`kubeconfigSource`, shared with kubeconfig.ts): an explicit file, then $KUBECONFIG
// (a colon-separated list merged as kubectl does: the first file to define a name or current-context
// wins), then the in-cluster service account, then ~/.kube/config. Users with an `exec` plugin or an
// `auth-provider` are authorised by client-node's KubeConfig, imported only when such a user is used.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import type { RequestOptions } from 'node:https';
import { parse, stringify } from 'yaml';
import type { KubeConnection, KubeTls } from './connection';

export class KubeconfigError extends Error {
  constructor(where: string, message: string) {
    super(`kubeconfig ${where}: ${message}`);
    this.name = 'KubeconfigError';
  }
}

type Obj = Record<string, unknown>;

interface Named {
  name: string;
  file: string;
  body: Obj;
}

/** The kubeconfig files merged, kubectl's way: the first definition of a name wins. */
export interface MergedKubeconfig {
  files: string[];
  currentContext?: string;
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(body: Obj, field: string, where: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new KubeconfigError(where, `${field} must be a string`);
  return v;
}

/** Merges parsed kubeconfig documents (path and text), in precedence order. */
export function mergeKubeconfigs(docs: { file: string; text: string }[]): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    files: docs.map((d) => d.file),
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  for (const { file, text } of docs) {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      throw new KubeconfigError(file, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (doc === null || doc === undefined) continue;
    if (!isObj(doc)) throw new KubeconfigError(file, 'must be a mapping (apiVersion: v1, kind: Config)');
    const cur = str(doc, 'current-context', file);
    if (cur && merged.currentContext === undefined) merged.currentContext = cur;
    for (const [section, inner] of [
      ['clusters', 'cluster'],
      ['users', 'user'],
      ['contexts', 'context'],
    ] as const) {
      const list = doc[section];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) throw new KubeconfigError(file, `${section} must be a list`);
      list.forEach((entry: unknown, i) => {
        const where = `${file} ${section}[${i}]`;
        if (!isObj(entry)) throw new KubeconfigError(where, 'must be a mapping');
        const name = str(entry, 'name', where);
        if (!name) throw new KubeconfigError(where, 'name is required');
        const body = entry[inner] ?? {};
        if (!isObj(body)) throw new KubeconfigError(`${where} (${name})`, `${inner} must be a mapping`);
        if (!merged[section].has(name)) merged[section].set(name, { name, file, body });
      });
    }
  }
  return merged;
}

export interface ResolveOptions {
  /** A context other than current-context. */
  context?: string;
  readFile?: (path: string) => Buffer;
}

/** The connection of a merged kubeconfig's (current) context; every error names the file and field. */
export function connectionFromKubeconfig(m: MergedKubeconfig, opts: ResolveOptions = {}): KubeConnection {
  const read = opts.readFile ?? ((p: string) => readFileSync(p));
  const files = m.files.join(delimiter);
  const ctxName = opts.context ?? m.currentContext;
  if (!ctxName) throw new KubeconfigError(files, 'current-context is not set (and no --context given)');
  const ctx = m.contexts.get(ctxName);
  if (!ctx) throw new KubeconfigError(files, `context "${ctxName}" is not defined under contexts`);
  const ctxWhere = `${ctx.file} context "${ctxName}"`;
  const clusterName = str(ctx.body, 'cluster', ctxWhere);
  if (!clusterName) throw new KubeconfigError(ctxWhere, 'cluster is required');
  const cluster = m.clusters.get(clusterName);
  if (!cluster) throw new KubeconfigError(ctxWhere, `cluster "${clusterName}" is not defined under clusters`);
  const cWhere = `${cluster.file} cluster "${clusterName}"`;
  const server = str(cluster.body, 'server', cWhere);
  if (!server) throw new KubeconfigError(cWhere, 'server is required');
  if (!/^https?:\/\/[^/]/.test(server))
    throw new KubeconfigError(cWhere, `server ${JSON.stringify(server)} is not an http(s) URL`);

  const pathIn = (file: string, p: string) => (isAbsolute(p) ? p : resolve(dirname(file), p));
  const material = (body: Obj, file: string, where: string, dataField: string, fileField: string) => {
    const data = str(body, dataField, where);
    if (data) {
      const buf = Buffer.from(data, 'base64');
      if (buf.length === 0) throw new KubeconfigError(where, `${dataField} is not base64`);
      return buf;
    }
    const path = str(body, fileField, where);
    if (!path) return undefined;
    try {
      return read(pathIn(file, path));
    } catch (err) {
      throw new KubeconfigError(where, `${fileField} ${path}: ${(err as Error).message}`);
    }
  };

  const insecure = cluster.body['insecure-skip-tls-verify'];
  if (insecure !== undefined && typeof insecure !== 'boolean')
    throw new KubeconfigError(cWhere, 'insecure-skip-tls-verify must be true or false');
  const tls: KubeTls = {
    ca: material(cluster.body, cluster.file, cWhere, 'certificate-authority-data', 'certificate-authority'),
    insecureSkipTlsVerify: insecure === true,
    serverName: str(cluster.body, 'tls-server-name', cWhere),
  };
  const conn: KubeConnection = {
    server: server.replace(/\/+$/, ''),
    namespace: str(ctx.body, 'namespace', ctxWhere) ?? 'default',
    source: cluster.file,
    tls,
  };

  const userName = str(ctx.body, 'user', ctxWhere);
  if (!userName) return conn;
  const user = m.users.get(userName);
  if (!user) throw new KubeconfigError(ctxWhere, `user "${userName}" is not defined under users`);
  const uWhere = `${user.file} user "${userName}"`;
  if (user.body['exec'] !== undefined || user.body['auth-provider'] !== undefined) {
    conn.applyAuth = clientNodeAuth(m, ctxName);
    return conn;
  }
  tls.cert = material(user.body, user.file, uWhere, 'client-certificate-data', 'client-certificate');
  tls.key = material(user.body, user.file, uWhere, 'client-key-data', 'client-key');
  if (!tls.cert !== !tls.key)
    throw new KubeconfigError(uWhere, 'client-certificate and client-key must be given together');
  const token = str(user.body, 'token', uWhere);
  const tokenFile = str(user.body, 'tokenFile', uWhere);
  const username = str(user.body, 'username', uWhere);
  const password = str(user.body, 'password', uWhere);
  if (token) conn.authorization = () => `Bearer ${token}`;
  else if (tokenFile) {
    const next = rotatingToken(pathIn(user.file, tokenFile), uWhere, read);
    conn.authorization = () => `Bearer ${next()}`;
  } else if (username !== undefined) {
    const basic = Buffer.from(`${username}:${password ?? ''}`).toString('base64');
    conn.authorization = () => `Basic ${basic}`;
  }
  return conn;
}

/** How often a token file is re-read: bound service-account tokens rotate (client-go re-reads each minute). */
export const TOKEN_REREAD_MS = 60_000;

/**
 * A token file's content, re-read when older than `maxAgeMs`. A failed re-read keeps the last token
 * (the kubelet rewrites the file atomically, but a read can still race it); a failed first read throws.
 */
export function rotatingToken(
  path: string,
  where: string,
  read: (p: string) => Buffer = (p) => readFileSync(p),
  now: () => number = Date.now,
  maxAgeMs = TOKEN_REREAD_MS,
): () => string {
  let token: string | undefined;
  let readAt = 0;
  return () => {
    if (token === undefined || now() - readAt >= maxAgeMs) {
      try {
        token = read(path).toString('utf8').trim();
        readAt = now();
      } catch (err) {
        if (token === undefined)
          throw new KubeconfigError(where, `token file ${path}: ${(err as Error).message}`);
      }
    }
    return token;
  };
}

/** Exec and auth-provider users: client-node's KubeConfig, imported on first use, applies the auth. */
function clientNodeAuth(m: MergedKubeconfig, context: string): (opts: RequestOptions) => Promise<void> {
  const toList = (map: Map<string, Named>, inner: string) =>
    [...map.values()].map((n) => ({ name: n.name, [inner]: n.body }));
  const text = stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': context,
    clusters: toList(m.clusters, 'cluster'),
    users: toList(m.users, 'user'),
    contexts: toList(m.contexts, 'context'),
  });
  let kc: Promise<{ applyToHTTPSOptions(o: RequestOptions): Promise<void> }> | undefined;
  return async (opts) => {
    kc ??= import('@kubernetes/client-node').then(({ KubeConfig }) => {
      const c = new KubeConfig();
      c.loadFromString(text);
      return c;
    });
    await (await kc).applyToHTTPSOptions(opts);
  };
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The in-cluster connection: the service host/port, the mounted CA and (rotating) token. */
export function inClusterConnection(
  env: NodeJS.ProcessEnv = process.env,
  dir = SERVICE_ACCOUNT_DIR,
  read: (p: string) => Buffer = (p) => readFileSync(p),
): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  if (!host) throw new KubeconfigError('in-cluster', 'KUBERNETES_SERVICE_HOST is not set');
  const where = `in-cluster service account (${dir})`;
  const token = rotatingToken(join(dir, 'token'), where, read);
  token(); // fail at start, not on the first request, when no token is mounted
  let ca: Buffer;
  try {
    ca = read(join(dir, 'ca.crt'));
  } catch (err) {
    throw new KubeconfigError(where, `ca.crt: ${(err as Error).message}`);
  }
  let namespace = 'default';
  try {
    namespace = read(join(dir, 'namespace')).toString('utf8').trim() || 'default';
  } catch {
    // no namespace file: default
  }
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    namespace,
    source: 'in-cluster',
    tls: { ca },
    authorization: () => `Bearer ${token()}`,
  };
}

function readKubeconfigs(paths: string[]): { file: string; text: string }[] {
  return paths.map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (err) {
      throw new KubeconfigError(file, `cannot be read: ${(err as Error).message}`);
    }
  });
}

/** Where the cluster comes from; the one precedence of both loaders (this file's and kubeconfig.ts). */
export type KubeconfigSource = { kind: 'files'; files: string[]; fromEnv: boolean } | { kind: 'in-cluster' };

/**
 * An explicit file (which must exist), else $KUBECONFIG (a list: kubectl skips listed files that do not
 * exist; all missing is an error), else the in-cluster service account, else ~/.kube/config.
 */
export function kubeconfigSource(
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
  exists: (p: string) => boolean = existsSync,
  home: string = homedir(),
): KubeconfigSource {
  if (file) {
    if (!exists(file)) throw new Error(`kubeconfig ${file} does not exist`);
    return { kind: 'files', files: [file], fromEnv: false };
  }
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (list.length > 0) {
    const present = list.filter((f) => exists(f));
    if (present.length === 0) throw new Error(`KUBECONFIG: none of ${list.join(delimiter)} exists`);
    return { kind: 'files', files: present, fromEnv: true };
  }
  if (env.KUBERNETES_SERVICE_HOST) return { kind: 'in-cluster' };
  const fallback = join(home, '.kube', 'config');
  if (!exists(fallback)) throw new Error('no Kubernetes cluster configured (use --kubeconfig or KUBECONFIG)');
  return { kind: 'files', files: [fallback], fromEnv: false };
}

/** The lean connection from `kubeconfigSource`. */
export function loadKubeConnection(file?: string, context?: string): KubeConnection {
  const src = kubeconfigSource(file);
  if (src.kind === 'in-cluster') return inClusterConnection();
  return connectionFromKubeconfig(mergeKubeconfigs(readKubeconfigs(src.files)), { context });
}
