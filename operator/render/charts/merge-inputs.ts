// The merged IstioOperator, as istioctl computes it before validation:
//   default profile < named profile < compiled-in hub/tag < user files (in order) < --set flags,
// then the IstioOperator-level fields translated into chart values, then the user's own `values` again on
// top (so `values.istio_cni.enabled` set by hand survives the translation). Pure: profiles come from a
// lookup the caller backs with the release's `manifests/profiles/<name>.yaml`.
import { deepClone, isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import { getBool, getMap, getPath, getString, makeMap, mergeFrom, setPath, setSpecPaths } from './values-map';

/** Returns the parsed profile, or throws ProfileError when the release has no such profile. */
export type ProfileLookup = (name: string) => PlainObject;

export class ProfileError extends Error {
  constructor(
    readonly profile: string,
    readonly known: readonly string[],
  ) {
    super(
      `spec.profile: profile ${JSON.stringify(profile)} not found in this release (known: ${known.join(', ')})`,
    );
    this.name = 'ProfileError';
  }
}

export interface MergeOptions {
  /** `--set path=value` flags, relative to `spec.` (`--revision X` is `revision=X`). */
  readonly setFlags?: readonly string[];
  /** istioctl's compiled-in `hub`/`tag`, layered between the profile and the user's files. */
  readonly imageDefaults?: { readonly hub: string; readonly tag: string };
}

/** istioctl refuses files with several IstioOperators; the caller passes one document per file. */
export function mergeInputs(
  userIops: readonly PlainObject[],
  readProfile: ProfileLookup,
  options: MergeOptions = {},
): PlainObject {
  const user: PlainObject = {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: {},
    spec: {},
  };
  for (const doc of userIops) {
    const m = deepClone(doc);
    // An empty `spec:` must not wipe the spec map.
    if (m.spec === null || m.spec === undefined) delete m.spec;
    mergeFrom(user, m);
  }
  setSpecPaths(user, options.setFlags ?? []);

  const profile = getString(user, 'spec.profile') || 'default';
  const userValues = getMap(user, 'spec.values');
  const base = readProfile('default');
  if (profile !== 'default') mergeFrom(base, readProfile(profile));
  if (options.imageDefaults) {
    setSpecPaths(base, [`hub=${options.imageDefaults.hub}`, `tag=${options.imageDefaults.tag}`]);
  }
  mergeFrom(base, user);
  translateToHelm(base);
  if (userValues) mergeFrom(base, { spec: { values: deepClone(userValues) } });
  return base;
}

/** Top-level IstioOperator fields that are chart values, and the cross-chart enablement switches. */
function translateToHelm(base: PlainObject): void {
  const translations: [string, string][] = [
    ['spec.hub', 'global.hub'],
    ['spec.tag', 'global.tag'],
    ['spec.revision', 'revision'],
    ['spec.meshConfig', 'meshConfig'],
    ['spec.compatibilityVersion', 'compatibilityVersion'],
  ];
  for (const [from, to] of translations) {
    const v = getPath(base, from);
    if (v === undefined) continue;
    if (isPlainObject(v)) mergeFrom(base, makeMap(deepClone(v), 'spec', 'values', 'meshConfig'));
    else setSpecPaths(base, [`values.${to}=${goString(v)}`]);
  }
  setPath(base, 'spec.values.pilot.enabled', getBool(base, 'spec.components.pilot.enabled'));
  setPath(base, 'spec.values.pilot.cni.enabled', getBool(base, 'spec.components.cni.enabled'));
  const ns = getString(base, 'spec.values.global.istioNamespace');
  if (ns) setPath(base, 'metadata.namespace', ns);
}

/** Go's `%v` of a decoded YAML scalar (what istioctl writes into its `path=value` strings). */
export function goString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  return String(v);
}
