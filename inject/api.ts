// The contract of the pure injection engine. The webhook server, kube-inject, the conformance runner
// and the benchmarks all call `injectPod` (implemented in ./index.ts) through these types only.
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { Operation } from 'fast-json-patch';
import type { MeshConfig } from '../lib/istio/mesh';
import type { Values } from '../lib/istio/values';
import type { ResolvedVersion } from './versions';

export type NativeSidecarMode = 'auto' | 'enabled' | 'disabled';

/** Everything the injector is configured with: what istiod reads from the injector and mesh ConfigMaps. */
export interface InjectionConfig {
  /** Helm-style values of the istio-discovery chart (global.*, sidecarInjectorWebhook.*, ...), defaults applied. */
  values: Values;
  /** Mesh configuration (the `istio` ConfigMap's `mesh` key), defaults applied. */
  meshConfig: MeshConfig;
  /** Control-plane revision this injector serves ('default' for the unrevisioned one). */
  revision: string;
  nativeSidecars: NativeSidecarMode;
  /** Kubelet versions of the known nodes (e.g. 'v1.33.0'); `auto` uses native sidecars when all are >= 1.33. */
  nodeKubeletVersions: string[];
  /** 'openshift' honours the namespace UID ranges; defaults to `values.global.platform`. */
  platform?: string;
  /**
   * The Istio release this revision runs and how it maps to known behaviour (see ./versions.ts). Absent:
   * the version this build targets. `exact: false` is worth a log line and a metric (webhook/config).
   */
  version?: ResolvedVersion;
  /** istiod's COMPLIANCE_POLICY setting (e.g. `fips-140-3`), handed to the proxy. */
  compliancePolicy?: string;
  /**
   * Injection templates by name, Go text/template source, from the injector ConfigMap's `config`
   * (`templates:`), exactly what istiod injects from. Absent (kube-inject and tests without a cluster):
   * the built-in templates plus `sidecarInjectorWebhook.templates` from the values.
   */
  templates?: Readonly<Record<string, string>>;
  /** `config` → `aliases`: a selected name that is an alias stands for these template names. */
  templateAliases?: Readonly<Record<string, readonly string[]>>;
  /** Run text identical to a verified stock template with the typed builders (default true). */
  templateFastPath?: boolean;
}

/** Workload identity when the caller knows it better than the pod's ownerReferences (kube-inject). */
export interface WorkloadOwner {
  apiVersion: string;
  kind: string;
  name: string;
}

export interface InjectionRequest {
  /** The pod in its wire form: plain JSON data (parsed JSON or YAML), never mutated. */
  pod: V1Pod;
  /** Namespace the pod is created in (at admission `pod.metadata.namespace` may be empty). */
  namespace: string;
  /** The namespace object, for its labels and annotations (OpenShift UID ranges). */
  namespaceObject?: V1Namespace;
  /** Overrides ownerReference-based workload inference (kube-inject of a Deployment, CronJob, ...). */
  owner?: WorkloadOwner;
  /** True when called from the admission webhook (pod already built by a controller), false for kube-inject. */
  admission: boolean;
}

export type InjectionOutcome =
  | { kind: 'injected'; pod: V1Pod; patch: Operation[] }
  /** Not injected, by policy or selection; `reason` is human readable (kube-inject prints it as a warning). */
  | { kind: 'skipped'; reason: string; pod: V1Pod }
  /** Invalid input (annotations, overrides): the pod must be rejected with this message. */
  | { kind: 'rejected'; message: string };

export type Injector = (req: InjectionRequest, cfg: InjectionConfig) => InjectionOutcome;

/**
 * An IstioOperator-shaped overlay as the injection config is assembled from (profile defaults first, then
 * `--set` paths, `--values`/`--mesh-config` files, conformance `iop`/`mesh` overlays, in order).
 * Implemented by `buildInjectionConfig` in ./config.ts.
 */
export interface IopSpecOverlay {
  values?: Record<string, unknown>;
  meshConfig?: Record<string, unknown>;
  components?: Record<string, unknown>;
  revision?: string;
  hub?: string;
  tag?: string;
}

export interface BuildInjectionConfigOptions {
  /** Applied in order on top of the chart defaults (later wins; deep merge, arrays replaced). */
  overlays: IopSpecOverlay[];
  revision?: string;
  nativeSidecars?: NativeSidecarMode;
  nodeKubeletVersions?: string[];
  /** See InjectionConfig.platform. */
  platform?: string;
  /** The revision's Istio version (`1.31.0`, ...); absent: the version this build targets. */
  istioVersion?: string;
  /** See InjectionConfig.compliancePolicy. */
  compliancePolicy?: string;
}
