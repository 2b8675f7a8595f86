// The IstioOperator API (install.istio.io/v1alpha1) as Meshwright reads it. Field names and meaning follow
// upstream's CRD so existing IstioOperator YAML keeps working; unknown fields are reported by validate.ts.
import type {
  V1Affinity,
  V1DeploymentStrategy,
  V1EnvVar,
  V1ObjectMeta,
  V1PodDisruptionBudgetSpec,
  V1PodSecurityContext,
  V1Probe,
  V1ResourceRequirements,
  V1ServiceSpec,
  V1Toleration,
  V1TopologySpreadConstraint,
  V1Volume,
  V1VolumeMount,
  V2HorizontalPodAutoscalerSpec,
} from '@kubernetes/client-node';
// Type-only: the status parts are defined beside the code that computes them.
import type { CrdNote } from '../controller/apply/crd-versions';
import type { RolloutProgress } from '../controller/rollout/rollout-step';
import type { SidecarCounts } from '../controller/rollout/sidecar-rollout';
import type { StatusCondition } from '../controller/status/conditions';
import type { InjectionVersion } from '../controller/status/injection-version';
import type { MeshConfig } from '../../lib/istio/mesh';
import type { Values } from '../../lib/istio/values';

export const IOP_GROUP = 'install.istio.io';
export const IOP_VERSION = 'v1alpha1';
export const IOP_API_VERSION = `${IOP_GROUP}/${IOP_VERSION}`;
export const IOP_KIND = 'IstioOperator';

/** One patch of an overlay: `path` in upstream's syntax (see overlays.ts); no `value` deletes the target. */
export interface K8sPatch {
  path: string;
  value?: unknown;
}

/** Path patches applied to one rendered object of the component, selected by kind and name. */
export interface K8sObjectOverlay {
  apiVersion?: string;
  kind: string;
  name: string;
  patches?: K8sPatch[];
}

/** `components.<c>.k8s`: Kubernetes settings patched onto the component's workload, Service, HPA and PDB. */
export interface KubernetesResourceSpec {
  affinity?: V1Affinity;
  env?: V1EnvVar[];
  hpaSpec?: Partial<V2HorizontalPodAutoscalerSpec>;
  imagePullPolicy?: string;
  nodeSelector?: Record<string, string>;
  podDisruptionBudget?: V1PodDisruptionBudgetSpec;
  podAnnotations?: Record<string, string>;
  priorityClassName?: string;
  readinessProbe?: V1Probe;
  replicaCount?: number;
  resources?: V1ResourceRequirements;
  service?: Partial<V1ServiceSpec>;
  strategy?: V1DeploymentStrategy;
  tolerations?: V1Toleration[];
  serviceAnnotations?: Record<string, string>;
  securityContext?: V1PodSecurityContext;
  volumes?: V1Volume[];
  volumeMounts?: V1VolumeMount[];
  topologySpreadConstraints?: V1TopologySpreadConstraint[];
  overlays?: K8sObjectOverlay[];
}

/** `components.base`: only enablement and overlays are meaningful (as upstream). */
export interface BaseComponentSpec {
  enabled?: boolean;
  k8s?: KubernetesResourceSpec;
}

export interface ComponentSpec {
  enabled?: boolean;
  namespace?: string;
  hub?: string;
  /** A string; YAML may give a number (`tag: 2`), which is kept as its text. */
  tag?: string | number;
  label?: Record<string, string>;
  k8s?: KubernetesResourceSpec;
}

export interface GatewaySpec extends ComponentSpec {
  name: string;
}

export interface IstioComponents {
  base?: BaseComponentSpec;
  pilot?: ComponentSpec;
  cni?: ComponentSpec;
  ztunnel?: ComponentSpec;
  ingressGateways?: GatewaySpec[];
  egressGateways?: GatewaySpec[];
}

/** Values as IstioOperator carries them: the injector's typed Values, plus gateways keyed by gateway name. */
export type OperatorValues = Values & {
  gateways?: Record<string, unknown>;
};

export interface IstioOperatorSpec {
  profile?: string;
  hub?: string;
  tag?: string | number;
  revision?: string;
  namespace?: string;
  meshConfig?: MeshConfig;
  values?: OperatorValues;
  /** Passed through without validation (upstream's escape hatch); not rendered by Meshwright. */
  unvalidatedValues?: Record<string, unknown>;
  components?: IstioComponents;
  /** Accepted for compatibility, ignored: Meshwright renders from its own builders. */
  installPackagePath?: string;
  compatibilityVersion?: string;
  /** Meshwright extension (docs/crds.md): gradual restart of workloads with outdated sidecars. Read by the
   * controller (operator/controller/rollout/rollout-config.ts); rendering ignores it. */
  sidecarRollout?: SidecarRolloutSpec;
}

export interface SidecarRolloutSpec {
  enabled?: boolean;
  batchSize?: number;
  pauseSeconds?: number;
  readyTimeoutSeconds?: number;
  maxUnavailable?: number | string;
  namespaceSelector?: { matchLabels?: Record<string, string> };
}

export type InstallStatus = 'NONE' | 'UPDATING' | 'RECONCILING' | 'HEALTHY' | 'ERROR' | 'ACTION_REQUIRED';
export const INSTALL_STATUSES: readonly InstallStatus[] = [
  'NONE',
  'UPDATING',
  'RECONCILING',
  'HEALTHY',
  'ERROR',
  'ACTION_REQUIRED',
];

export interface ComponentStatus {
  status: InstallStatus;
  error?: string;
}

/**
 * Meshwright's additions to the status, under one key so upstream tooling ignores them. The CRD keeps
 * unknown keys here (x-kubernetes-preserve-unknown-fields) so older operators do not prune newer fields.
 */
export interface MeshwrightStatus {
  /** Istio version this revision installs, as the operator resolved it. */
  version?: string;
  /** Only when the version is not one the injector knows exactly. */
  injection?: InjectionVersion;
  /** Census of the sidecars this revision injected. */
  sidecars?: SidecarCounts;
  /** Progress of spec.sidecarRollout, also the cursor a restarted operator resumes from. */
  sidecarRollout?: RolloutProgress;
  /** Rendered CRDs kept at a newer release than this IstioOperator's. */
  crds?: CrdNote;
  /** For a gateways-only IstioOperator following a revision tag: what the tag resolved to. */
  followedTag?: FollowedTagStatus;
}

export interface FollowedTagStatus {
  /** The IstioRevisionTag's name. */
  tag: string;
  /** The revision its webhook serves ('default' for the default revision). */
  revision: string;
  /** namespace/name of the IstioOperator installing that revision. */
  istioOperator: string;
}

/**
 * The wire shape of `status`, as the operator writes it (status/compute-status.ts, status-patch.ts) and
 * reads it back (status/live-status.ts); crds/istiooperator.yaml describes the same fields (a unit test
 * validates computed statuses against that schema).
 */
export interface IstioOperatorStatus {
  status?: InstallStatus;
  message?: string;
  /** metadata.generation of the spec the status describes. */
  observedGeneration?: number;
  /** Keyed by component name (Base, Pilot, Cni, IngressGateways, EgressGateways). */
  componentStatus?: Record<string, ComponentStatus>;
  conditions?: StatusCondition[];
  meshwright?: MeshwrightStatus;
}

export interface IstioOperator {
  apiVersion: typeof IOP_API_VERSION;
  kind: typeof IOP_KIND;
  metadata?: V1ObjectMeta;
  spec?: IstioOperatorSpec;
  status?: IstioOperatorStatus;
}
