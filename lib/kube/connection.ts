// What the lean client needs to reach one apiserver: its URL, the TLS material, and how to authorise a
// request. Plain data plus two hooks, so it can come from our own kubeconfig loader (config-loader.ts)
// or, in tests and CLI commands that already hold one, from a client-node KubeConfig.
import type { KubeConfig } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';

export interface KubeTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  serverName?: string;
}

export interface KubeConnection {
  /** `https://host:port` (or http:// for a plain local apiserver), without a trailing slash. */
  server: string;
  /** The context's namespace, `default` when it names none. */
  namespace: string;
  /** Where this came from (a kubeconfig path, `in-cluster`), for error messages. */
  source: string;
  tls: KubeTls;
  /** The Authorization header, asked for on every request so a rotated token file is picked up. */
  authorization?: () => string | undefined;
  /** Auth the lean loader does not implement (exec plugins, auth-provider): applied by client-node. */
  applyAuth?: (opts: RequestOptions) => Promise<void>;
}

/** A connection, or a client-node KubeConfig that already holds one (tests, CLI commands). */
export type KubeSource = KubeConnection | KubeConfig;

function isClientNodeConfig(src: KubeSource): src is KubeConfig {
  return typeof (src as Partial<KubeConfig>).applyToHTTPSOptions === 'function';
}

/** The connection of a source; a client-node KubeConfig keeps applying its own auth and TLS. */
export function connectionOf(src: KubeSource): KubeConnection {
  if (!isClientNodeConfig(src)) return src;
  const cluster = src.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig: the current context names no cluster');
  const ctx = src.getContextObject(src.getCurrentContext());
  return {
    server: cluster.server.replace(/\/+$/, ''),
    namespace: ctx?.namespace || 'default',
    source: 'client-node KubeConfig',
    tls: {},
    applyAuth: (opts) => src.applyToHTTPSOptions(opts),
  };
}
