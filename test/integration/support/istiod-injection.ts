// One pod injected two ways, as the istiod suites compare them: by a running istiod's /inject (its JSON
// Patch applied to the pod) and by Meshwright's engine configured from the same `istio-sidecar-injector` and
// `istio` ConfigMaps, with the cluster's node versions; and the Bookinfo pods they inject.
import type { V1ConfigMap, V1Container, V1Pod } from '@kubernetes/client-node';
import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { admissionReview, bookinfoPods } from '../../../bench/common/pods';
import { injectPod } from '../../../inject';
import type { InjectionConfig } from '../../../inject/api';
import { buildFromConfigMaps } from '../../../webhook/config/configmaps';
import { kubeletVersions } from '../../../webhook/config/nodes';
import { coreApi } from './cluster';
import { postJson, type RunningIstiod } from './istiod';
import { repoRoot } from './istiod-install';

/** A Bookinfo sample pod (`productpage-v1`, ...) in `namespace`, with `annotations` added to its own. */
export function bookinfoPod(
  name: string,
  namespace: string,
  annotations: Record<string, string> = {},
): V1Pod {
  const shape = bookinfoPods(repoRoot()).find((s) => s.name === `bookinfo/${name}`);
  if (!shape) throw new Error(`no Bookinfo ${name} Deployment in the sample`);
  const meta = shape.pod.metadata;
  return {
    ...shape.pod,
    metadata: {
      ...meta,
      namespace,
      ...(Object.keys(annotations).length > 0
        ? { annotations: { ...meta?.annotations, ...annotations } }
        : {}),
    },
  };
}

export interface IstiodInjection {
  /** HTTP status of istiod's answer. */
  status: number;
  allowed: boolean | undefined;
  /** `response.result.message`: why istiod refused or failed, if it did. */
  message: string | undefined;
  /** The base64 JSON Patch, as sent. */
  patch: string | undefined;
  /** The pod with that patch applied (the pod unchanged when there is none). */
  pod: V1Pod;
}

/** istiod's /inject answer for `pod` (an AdmissionReview with `uid`), and the pod it makes. */
export async function injectedByIstiod(
  istiod: RunningIstiod,
  pod: V1Pod,
  uid: string,
): Promise<IstiodInjection> {
  const { status, json } = await postJson(
    istiod.ports.https,
    '/inject',
    admissionReview(pod, uid),
    istiod.caPem,
  );
  const resp = (json as { response?: { allowed?: boolean; patch?: string; result?: { message?: string } } })
    .response;
  const ops = JSON.parse(Buffer.from(resp?.patch ?? '', 'base64').toString('utf8') || '[]') as Operation[];
  return {
    status,
    allowed: resp?.allowed,
    message: resp?.result?.message,
    patch: resp?.patch,
    pod: applyPatch(deepClone(pod) as V1Pod, ops, true, false).newDocument,
  };
}

export interface MeshwrightInjection {
  /** The configuration the engine ran with (its version, the node versions it saw). */
  config: InjectionConfig;
  pod: V1Pod;
}

/**
 * Meshwright's engine on `pod` in `namespace` (admission mode), configured from the two ConfigMaps and the
 * cluster's nodes as the webhook configures itself. Throws when it does not inject.
 */
export async function injectedByMeshwright(o: {
  injector: V1ConfigMap;
  mesh: V1ConfigMap;
  pod: V1Pod;
  namespace: string;
  /** The revision the ConfigMaps are of (written into `sidecar.istio.io/status`); default `default`. */
  revision?: string;
}): Promise<MeshwrightInjection> {
  // A new object: the engine compiles a configuration once per object, and buildFromConfigMaps has
  // already used this one (its canary check) without node versions.
  const config = {
    ...buildFromConfigMaps({
      revision: o.revision ?? 'default',
      injector: o.injector,
      mesh: o.mesh,
      nativeSidecars: 'auto',
    }),
    nodeKubeletVersions: kubeletVersions((await coreApi().listNode()).items),
  };
  const out = injectPod({ pod: o.pod, namespace: o.namespace, admission: true }, config);
  if (out.kind !== 'injected') throw new Error(`Meshwright did not inject: ${JSON.stringify(out)}`);
  return { config, pod: out.pod };
}

/** The `istio-proxy` container: a native sidecar among the init containers, else a classic one. */
export function proxyContainer(pod: V1Pod): V1Container | undefined {
  return (
    pod.spec?.initContainers?.find((c) => c.name === 'istio-proxy') ??
    pod.spec?.containers.find((c) => c.name === 'istio-proxy')
  );
}
