// The render contract: inputs besides the IstioOperator, and the typed objects it renders to, per component.
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1CustomResourceDefinition,
  V1DaemonSet,
  V1Deployment,
  V1ObjectMeta,
  V1PodDisruptionBudget,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
  V1ValidatingWebhookConfiguration,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { ComponentName } from '../api/components';
import type { IstioOperatorSpec } from '../api/types';
import type { RenderValues } from './values';

/** Every rendered object has apiVersion, kind and a named metadata. */
type Identified<T> = T & { apiVersion: string; kind: string; metadata: V1ObjectMeta & { name: string } };

export type ManifestObject = Identified<
  | V1CustomResourceDefinition
  | V1ServiceAccount
  | V1ClusterRole
  | V1ClusterRoleBinding
  | V1Role
  | V1RoleBinding
  | V1ConfigMap
  | V1Service
  | V1Deployment
  | V1DaemonSet
  | V2HorizontalPodAutoscaler
  | V1PodDisruptionBudget
  | V1ValidatingWebhookConfiguration
>;

export interface RenderInputs {
  /** The Istio API CRDs the Base component installs (loaded from crds/istio/*.yaml by load-crds.ts). */
  crds: V1CustomResourceDefinition[];
  /** `--set path=value` flags, applied after the profile and the spec. */
  setFlags?: readonly string[];
  /** Overrides spec.revision (the CLI's --revision). */
  revision?: string;
}

export interface RenderedComponent {
  component: ComponentName;
  /** The gateway's name for IngressGateways/EgressGateways (one entry per gateway). */
  gateway?: string;
  /** Namespace of the component's namespaced objects. */
  namespace: string;
  objects: ManifestObject[];
}

export interface RenderedManifest {
  /** The effective spec: profile, then user spec, then --set flags. */
  spec: IstioOperatorSpec;
  /** Effective Helm-style values (what the injector ConfigMap's `values` is cut from). */
  values: RenderValues;
  /** Control-plane revision ('' for the default revision). */
  revision: string;
  /**
   * Namespaces the objects live in. Not rendered as objects (as istioctl): the applier creates them when
   * missing and never prunes them, since deleting a namespace would delete everything in it.
   */
  namespaces: string[];
  components: RenderedComponent[];
  /** Non-fatal notes, e.g. Base rendered without CRDs because none were given. */
  warnings: string[];
}
