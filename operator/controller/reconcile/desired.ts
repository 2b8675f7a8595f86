// What the reconciler needs from the renderer, structurally: the render module's RenderedManifest
// satisfies it, and tests can hand in plain objects.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { SidecarTarget } from '../rollout/sidecar-rollout';

export interface DesiredComponent {
  component: string;
  objects: KubernetesObject[];
}

export interface DesiredState {
  /** Namespaces the objects live in; created when missing, never pruned. */
  namespaces: string[];
  components: DesiredComponent[];
  /** What injected sidecars should run; enables the sidecar census and rollout when set. */
  sidecar?: SidecarTarget;
}

export type RenderOutcome =
  | { ok: true; desired: DesiredState }
  | { ok: false; reason: 'InvalidSpec' | 'RenderFailed'; message: string };

/**
 * Validates and renders an IstioOperator as read from the apiserver. Never throws (nor rejects). Async when
 * it renders through a release's charts with helm.
 */
export type RenderFn = (iop: KubernetesObject) => RenderOutcome | Promise<RenderOutcome>;

/** A kind the operator may own: listed for pruning and watched for drift. */
export interface ManagedKind {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}
