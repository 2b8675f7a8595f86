// Which workloads run a sidecar older than the current control plane injects. Pure: pods,
// ReplicaSet owners and namespaces in, workloads out. A pod counts when this revision injected it
// (pod label istio.io/rev, or its namespace selects the revision) and it carries an istio-proxy
// container (classic or native sidecar). It is outdated when that container's image differs from the
// image the injector would use now (ignoring the distroless/debug variant, which pods may choose), when
// another revision injected it, or when re-injecting it with the current injection config changes its
// injected containers (istio-proxy, istio-init/istio-validation: image, args, env, resources,
// securityContext, probes; the fields the apiserver defaults are compared defaulted on both sides).
// Opted-out pods (gateways among them) are not counted; Jobs, bare pods and the control-plane
// namespace are never restart candidates.
import type { V1Container, V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { InjectionConfig } from '../../../inject/api';
import { injectPod } from '../../../inject';
import { canonicalizeResourceList } from '../../../inject/quantity';
import { parseStatus } from '../../../inject/status';
import { unmergedPrometheusAnnotations } from '../../../inject/prometheus';
import { LABEL_OWNING_RESOURCE } from '../apply/ownership';
import { compareOrdinal } from '../../../lib/compare';
import { ANNOTATIONS, LABELS } from '../../../lib/istio/names';

export interface PodView {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  owner?: { kind: string; name: string };
  proxyImage?: string;
  /** Revision named by the pod's sidecar.istio.io/status annotation (else its istio.io/rev annotation). */
  injectedRevision?: string;
  /** The pod as read, for the re-injection check; without it only the image and revision are compared. */
  pod?: V1Pod;
}

export interface WorkloadRef {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
}

export interface SidecarCensus {
  /** Pods this revision injected. */
  injected: number;
  /** Of those, pods whose proxy image, injecting revision or injected containers are not the current ones. */
  outdated: number;
  /** Restartable workloads with at least one outdated pod, sorted by namespace, kind, name. */
  outdatedWorkloads: WorkloadRef[];
  /**
   * Every owner of an outdated pod as namespace/Kind/name (Jobs, bare pods as Pod/<name>, the
   * control-plane namespace and namespaces outside the rollout selector included), sorted: what status shows.
   */
  outdatedOwners: string[];
}

export interface CensusInput {
  pods: readonly PodView[];
  /** ReplicaSet "namespace/name" -> owning Deployment name, for pods whose owner is still a ReplicaSet. */
  replicaSetOwners: ReadonlyMap<string, string>;
  namespaceLabels: ReadonlyMap<string, Record<string, string>>;
  /** The namespaces as read, for re-injection (OpenShift UID ranges are namespace annotations). */
  namespaces?: ReadonlyMap<string, V1Namespace>;
  /** '' for the default revision. */
  revision: string;
  /** Revision tags whose webhooks call this revision: their namespaces and pods are its too. */
  tags?: readonly string[];
  expectedImage: string;
  /** The current injection config of this revision; enables the re-injection check. */
  injection?: InjectionConfig;
  controlPlaneNamespace: string;
  /** Only namespaces carrying these labels are restart candidates (sidecarRollout.namespaceSelector). */
  candidateNamespaceLabels?: Record<string, string>;
  /**
   * Re-injection verdicts already known (true: outdated), for pods `reinjectionCandidates` returned;
   * the census computes the others itself. Lets the caller cache verdicts and spread the work.
   */
  reinjectionVerdicts?: ReadonlyMap<PodView, boolean>;
}

const VARIANT = /-(distroless|debug)$/;

export function sameProxyImage(a: string, b: string): boolean {
  return a.replace(VARIANT, '') === b.replace(VARIANT, '');
}

export function workloadKey(w: WorkloadRef): string {
  return `${w.namespace}/${w.kind}/${w.name}`;
}

/** The workload a `workloadKey` names (as kept in status: batch, restarted). */
export function parseWorkloadKey(key: string): WorkloadRef {
  const [namespace, kind, name] = key.split('/');
  return { namespace, kind: kind as WorkloadRef['kind'], name };
}

/**
 * Whether this revision's webhooks (its own, or a tag's pointing at it) select the pod, as upstream's
 * selectors do: a namespace's istio-injection=enabled (the default revision or tag) or istio.io/rev label
 * decides before the pod's own istio.io/rev label (which injection also sets, to the injecting revision).
 */
function injectedByRevision(
  pod: PodView,
  nsLabels: Record<string, string>,
  revision: string,
  tags: readonly string[] = [],
): boolean {
  const names = new Set([revision || 'default', ...tags]);
  if (nsLabels[LABELS.injection] === 'enabled') return names.has('default');
  const nsRev = nsLabels[LABELS.rev];
  if (nsRev !== undefined) return names.has(nsRev);
  const podRev = pod.labels[LABELS.rev];
  if (podRev !== undefined) return names.has(podRev);
  // Injected through the pod opt-in label alone: the default revision's webhook did it.
  return names.has('default');
}

function workloadOf(pod: PodView, rsOwners: ReadonlyMap<string, string>): WorkloadRef | undefined {
  const o = pod.owner;
  if (!o) return undefined;
  if (o.kind === 'StatefulSet' || o.kind === 'DaemonSet' || o.kind === 'Deployment') {
    return { kind: o.kind, namespace: pod.namespace, name: o.name };
  }
  if (o.kind === 'ReplicaSet') {
    const deployment = rsOwners.get(`${pod.namespace}/${o.name}`);
    return deployment ? { kind: 'Deployment', namespace: pod.namespace, name: deployment } : undefined;
  }
  return undefined;
}

/** What status names an outdated pod by: its restartable workload, else its owner, else the pod. */
function ownerKeyOf(pod: PodView, rsOwners: ReadonlyMap<string, string>): string {
  const w = workloadOf(pod, rsOwners);
  if (w) return workloadKey(w);
  if (pod.owner) return `${pod.namespace}/${pod.owner.kind}/${pod.owner.name}`;
  return `${pod.namespace}/Pod/${pod.name}`;
}

function matchesLabels(labels: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

const INJECTED_CONTAINERS = new Set(['istio-proxy', 'istio-init', 'istio-validation']);
const COMPARED = [
  'image',
  'args',
  'env',
  'resources',
  'securityContext',
  'readinessProbe',
  'livenessProbe',
  'startupProbe',
] as const;
const PROBE_DEFAULTS = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON with sorted keys, so field order does not matter. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObj(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function probe(p: unknown): unknown {
  if (!isObj(p)) return p;
  const out: Obj = { ...PROBE_DEFAULTS, ...p };
  if (isObj(p.httpGet)) out.httpGet = { path: '/', scheme: 'HTTP', ...p.httpGet };
  return out;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

// Env values the injector derives from the app containers, which the apiserver defaulted after
// admission: their port protocol (TCP) and their probes' timeout (1 s) and HTTP scheme.
const DERIVED_ENV: Record<string, (v: unknown) => unknown> = {
  ISTIO_META_POD_PORTS: (v) =>
    Array.isArray(v)
      ? v.map((p) => (isObj(p) ? { ...p, protocol: p.protocol === undefined ? 'TCP' : p.protocol } : p))
      : v,
  ISTIO_KUBE_APP_PROBERS: (v) =>
    isObj(v)
      ? Object.fromEntries(
          Object.entries(v).map(([path, p]) => {
            if (!isObj(p)) return [path, p];
            const out: Obj = { timeoutSeconds: 1, ...p };
            if (isObj(p.httpGet)) out.httpGet = { scheme: 'HTTP', ...p.httpGet };
            return [path, out];
          }),
        )
      : v,
};

function envVar(e: unknown): unknown {
  if (!isObj(e)) return e;
  const out: Obj = { ...e };
  if (out.value === '') delete out.value;
  const derive = typeof e.name === 'string' ? DERIVED_ENV[e.name] : undefined;
  if (derive && typeof out.value === 'string') out.value = stable(derive(parseJson(out.value)));
  const from = e.valueFrom;
  if (isObj(from)) {
    const f: Obj = { ...from };
    if (isObj(from.fieldRef)) f.fieldRef = { apiVersion: 'v1', ...from.fieldRef };
    if (isObj(from.resourceFieldRef)) {
      const r: Obj = { ...from.resourceFieldRef };
      // The apiserver writes "0" for an absent divisor; both mean 1.
      if (r.divisor === undefined || r.divisor === '0' || r.divisor === 0) r.divisor = '1';
      f.resourceFieldRef = r;
    }
    out.valueFrom = f;
  }
  return out;
}

function resources(r: unknown): unknown {
  if (!isObj(r)) return undefined;
  const limits = isObj(r.limits) ? { ...r.limits } : {};
  // The apiserver defaults a missing request to its limit.
  const requests: Obj = { ...limits, ...(isObj(r.requests) ? r.requests : {}) };
  canonicalizeResourceList(limits);
  canonicalizeResourceList(requests);
  const out: Obj = {};
  if (Object.keys(limits).length) out.limits = limits;
  if (Object.keys(requests).length) out.requests = requests;
  return Object.keys(out).length ? out : undefined;
}

function securityContext(s: unknown): unknown {
  if (!isObj(s)) return s;
  const out: Obj = { ...s };
  if (out.procMount === 'Default') delete out.procMount;
  return Object.keys(out).length ? out : undefined;
}

/** The compared fields of a pod's injected containers, by name, apiserver defaults applied. */
function injectedContainers(pod: V1Pod): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])] as V1Container[]) {
    if (!INJECTED_CONTAINERS.has(c.name)) continue;
    const raw = c as unknown as Obj;
    const view: Obj = {};
    for (const k of COMPARED) view[k] = raw[k];
    view.env = Array.isArray(raw.env) && raw.env.length ? raw.env.map(envVar) : undefined;
    view.args = Array.isArray(raw.args) && raw.args.length ? raw.args : undefined;
    view.resources = resources(raw.resources);
    view.securityContext = securityContext(raw.securityContext);
    for (const k of ['readinessProbe', 'livenessProbe', 'startupProbe']) view[k] = probe(raw[k]);
    out.set(c.name, stable(view));
  }
  return out;
}

/**
 * True when injecting the pod again with `cfg` (as the admission webhook would, in its namespace)
 * changes its injected containers. A pod without a sidecar.istio.io/status annotation, or one the
 * current config would not inject (policy, selectors) or would reject, is not judged by this check. Pure.
 */
export function injectionChanged(
  pod: V1Pod,
  namespace: string,
  cfg: InjectionConfig,
  namespaceObject?: V1Namespace,
): boolean {
  // Without the status annotation nothing names the injected containers (not injected by a webhook).
  if (!parseStatus(pod.metadata?.annotations?.[ANNOTATIONS.status])) return false;
  const out = injectPod({ pod: asTemplated(pod), namespace, namespaceObject, admission: true }, cfg);
  if (out.kind !== 'injected') return false;
  const before = injectedContainers(pod);
  const after = injectedContainers(out.pod);
  if (before.size !== after.size) return true;
  for (const [name, v] of before) if (after.get(name) !== v) return true;
  return false;
}

/**
 * The pod with the Prometheus annotations its template had: injection pointed them at the agent and kept
 * the app's in the proxy's ISTIO_PROMETHEUS_ANNOTATIONS, which a re-injection of the pod as it runs would
 * lose, so every pod with app metrics would look changed, and stay outdated after its restart.
 */
function asTemplated(pod: V1Pod): V1Pod {
  const proxy = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
  const env = proxy?.env?.find((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value;
  const annotations = unmergedPrometheusAnnotations(pod.metadata?.annotations ?? {}, env);
  return annotations ? { ...pod, metadata: { ...pod.metadata, annotations } } : pod;
}

/** Native sidecars are decided per node at admission; judge a pod in the mode it was injected in. */
const modeConfigs = new WeakMap<InjectionConfig, { enabled: InjectionConfig; disabled: InjectionConfig }>();
function configForPod(pod: V1Pod, cfg: InjectionConfig): InjectionConfig {
  let m = modeConfigs.get(cfg);
  if (!m) {
    m = { enabled: { ...cfg, nativeSidecars: 'enabled' }, disabled: { ...cfg, nativeSidecars: 'disabled' } };
    modeConfigs.set(cfg, m);
  }
  const native = (pod.spec?.initContainers ?? []).some((c) => c.name === 'istio-proxy');
  return native ? m.enabled : m.disabled;
}

/** What the census makes of a pod before any re-injection. */
type Classification = 'ignored' | 'current' | 'outdated' | 'reinject';

function classify(pod: PodView, input: CensusInput): Classification {
  // Gateways run istio-proxy too, but they are rendered (and opted out of injection), not injected.
  if (!pod.proxyImage || pod.labels[LABELS.inject] === 'false') return 'ignored';
  if (pod.labels[LABEL_OWNING_RESOURCE] !== undefined) return 'ignored';
  const nsLabels = input.namespaceLabels.get(pod.namespace) ?? {};
  if (!injectedByRevision(pod, nsLabels, input.revision, input.tags)) return 'ignored';
  // Fast path: a different image is outdated without re-injecting.
  if (!sameProxyImage(pod.proxyImage, input.expectedImage)) return 'outdated';
  const rev = input.revision || 'default';
  if (pod.injectedRevision !== undefined && (pod.injectedRevision || 'default') !== rev) return 'outdated';
  return input.injection && pod.pod ? 'reinject' : 'current';
}

/** The pods whose verdict needs a re-injection (`reinjectionChanged`); the rest are decided cheaply. */
export function reinjectionCandidates(input: CensusInput): PodView[] {
  return input.pods.filter((pod) => classify(pod, input) === 'reinject');
}

/** The re-injection verdict for a candidate pod: true when the current config changes its sidecar. */
export function reinjectionChanged(pod: PodView, input: CensusInput): boolean {
  if (!input.injection || !pod.pod) return false;
  const cfg = configForPod(pod.pod, input.injection);
  return injectionChanged(pod.pod, pod.namespace, cfg, input.namespaces?.get(pod.namespace));
}

export function sidecarCensus(input: CensusInput): SidecarCensus {
  let injected = 0;
  let outdated = 0;
  const workloads = new Map<string, WorkloadRef>();
  const owners = new Set<string>();
  for (const pod of input.pods) {
    const c = classify(pod, input);
    if (c === 'ignored') continue;
    injected++;
    if (c === 'current') continue;
    if (c === 'reinject' && !(input.reinjectionVerdicts?.get(pod) ?? reinjectionChanged(pod, input)))
      continue;
    outdated++;
    owners.add(ownerKeyOf(pod, input.replicaSetOwners));
    if (pod.namespace === input.controlPlaneNamespace) continue;
    const nsLabels = input.namespaceLabels.get(pod.namespace) ?? {};
    if (input.candidateNamespaceLabels && !matchesLabels(nsLabels, input.candidateNamespaceLabels)) continue;
    const w = workloadOf(pod, input.replicaSetOwners);
    if (w) workloads.set(workloadKey(w), w);
  }
  return {
    injected,
    outdated,
    outdatedWorkloads: sortedWorkloads([...workloads.values()]),
    outdatedOwners: [...owners].sort(),
  };
}

function sortedWorkloads(list: WorkloadRef[]): WorkloadRef[] {
  return list.sort(
    (a, b) =>
      compareOrdinal(a.namespace, b.namespace) ||
      compareOrdinal(a.kind, b.kind) ||
      compareOrdinal(a.name, b.name),
  );
}

/** Two censuses of disjoint sets of pods (pages of one list) as one. Pure. */
export function mergeCensus(a: SidecarCensus, b: SidecarCensus): SidecarCensus {
  const workloads = new Map<string, WorkloadRef>();
  for (const w of [...a.outdatedWorkloads, ...b.outdatedWorkloads]) workloads.set(workloadKey(w), w);
  return {
    injected: a.injected + b.injected,
    outdated: a.outdated + b.outdated,
    outdatedWorkloads: sortedWorkloads([...workloads.values()]),
    outdatedOwners: [...new Set([...a.outdatedOwners, ...b.outdatedOwners])].sort(),
  };
}
