// The apiserver's Kubernetes version, read once at operator start (GET /version): charts branch on
// `.Capabilities.KubeVersion`, so helm renders for the cluster it installs into, not a built-in guess.
import { KubeHttp } from '../../../lib/kube/http';
import type { KubeSource } from '../../../lib/kube/connection';

/** `MAJOR.MINOR.PATCH` of a /version answer's gitVersion (`v1.35.8`, `v1.30.2+k3s1`, `v1.29.4-gke.100`). */
export function kubeVersionOf(info: { gitVersion?: string }): string | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(info.gitVersion ?? '');
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** The cluster's version, or an Error naming what the apiserver said. */
export async function serverKubeVersion(src: KubeSource | KubeHttp): Promise<string> {
  const http = src instanceof KubeHttp ? src : new KubeHttp(src);
  let info: { gitVersion?: string };
  try {
    info = await http.request<{ gitVersion?: string }>({ method: 'GET', path: '/version' });
  } finally {
    if (!(src instanceof KubeHttp)) http.close();
  }
  const v = kubeVersionOf(info);
  if (!v)
    throw new Error(
      `GET /version: gitVersion ${JSON.stringify(info.gitVersion)} is not a Kubernetes version`,
    );
  return v;
}
