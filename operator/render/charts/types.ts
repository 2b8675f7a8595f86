// What the chart pipeline returns: istioctl's objects for one IstioOperator and release, per component.
import type { PlainObject } from '../../../lib/istio/merge';
import type { ChartComponentName } from './components';
import type { Omitted } from './meshwright-adjustments';

/** A rendered Kubernetes object (apiVersion, kind, metadata.name at least; checked when parsed). */
export type ChartObject = PlainObject & {
  apiVersion: string;
  kind: string;
  metadata: PlainObject & { name: string; namespace?: string };
};

export interface ChartRenderedComponent {
  readonly component: ChartComponentName;
  /** The gateway's name for gateway components. */
  readonly gateway?: string;
  readonly namespace: string;
  readonly objects: ChartObject[];
}

export interface ChartManifest {
  /** The Istio release the charts came from. */
  readonly version: string;
  readonly releaseDigest: string;
  /** The merged IstioOperator (profile, files, --set, translated values) that was rendered. */
  readonly merged: PlainObject;
  readonly components: ChartRenderedComponent[];
  /** Every object, in istioctl's order. */
  readonly objects: ChartObject[];
  /** Namespaces objects live in (not rendered as objects, as istioctl). */
  readonly namespaces: string[];
  /** Objects istioctl renders that Meshwright leaves out by design. */
  readonly omitted: Omitted[];
  readonly warnings: string[];
}
