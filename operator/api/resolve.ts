// The effective spec of an IstioOperator: its profile's layers, then the user's spec, then `--set` flags.
// Gateway lists merge by `name` (upstream's patch merge key), so a user entry for `istio-ingressgateway`
// changes the profile's gateway instead of replacing the whole list; everything else deep-merges with
// lib/istio/merge semantics (objects merge, arrays and scalars replace, null deletes).
import { deepClone, deepMerge, isPlainObject, type PlainObject } from '../../lib/istio/merge';
import { applySetFlag, parseSetFlag } from '../../lib/istio/setpath';
import { GATEWAY_KINDS } from './components';
import { profileLayers } from './profiles';
import type { IstioOperatorSpec } from './types';

/** Merges `overlay` onto `base` as IstioOperator specs merge (gateways by name). Inputs are not mutated. */
export function mergeSpecs(base: IstioOperatorSpec, overlay: IstioOperatorSpec): IstioOperatorSpec {
  const b = base as PlainObject;
  const o = deepClone(overlay) as PlainObject;
  const bComponents = isPlainObject(b.components) ? b.components : {};
  const oComponents = isPlainObject(o.components) ? o.components : undefined;
  const gatewayLists: Partial<Record<string, unknown[]>> = {};
  if (oComponents) {
    for (const kind of GATEWAY_KINDS) {
      const list = oComponents[kind];
      if (Array.isArray(list)) {
        gatewayLists[kind] = mergeByName(Array.isArray(bComponents[kind]) ? bComponents[kind] : [], list);
        delete oComponents[kind];
      }
    }
  }
  const merged = deepMerge(b, o);
  for (const [kind, list] of Object.entries(gatewayLists)) {
    if (!isPlainObject(merged.components)) merged.components = {};
    (merged.components as PlainObject)[kind] = list;
  }
  return merged as IstioOperatorSpec;
}

function mergeByName(base: unknown[], overlay: unknown[]): unknown[] {
  const out = base.map((x) => deepClone(x));
  for (const item of overlay) {
    const name = isPlainObject(item) ? item.name : undefined;
    const at = name === undefined ? -1 : out.findIndex((x) => isPlainObject(x) && x.name === name);
    if (at >= 0 && isPlainObject(item)) out[at] = deepMerge(out[at] as PlainObject, item);
    else out.push(deepClone(item));
  }
  return out;
}

/** `--set` flags applied to a spec, in order. Paths are relative to `spec` (a leading `spec.` is accepted). */
export function applySetFlags(spec: IstioOperatorSpec, setFlags: readonly string[]): IstioOperatorSpec {
  let tree = deepClone(spec) as PlainObject;
  for (const flag of setFlags) tree = applySetFlag(tree, parseSetFlag(flag));
  return tree as IstioOperatorSpec;
}

/**
 * Profile, then user spec, then `--set` flags. The profile is the one the user spec (after `--set`) names,
 * `default` when none. Throws ProfileError for unknown/unsupported profiles and SetPathError for bad flags.
 */
export function resolveSpec(
  userSpec: IstioOperatorSpec | undefined,
  setFlags: readonly string[] = [],
): IstioOperatorSpec {
  const user = userSpec ?? {};
  const named = applySetFlags(user, setFlags).profile;
  const profile = typeof named === 'string' && named !== '' ? named : 'default';
  let spec: IstioOperatorSpec = {};
  for (const layer of profileLayers(profile)) spec = mergeSpecs(spec, layer);
  spec = mergeSpecs(spec, user);
  spec = applySetFlags(spec, setFlags);
  spec.profile = profile;
  return normalizeTags(spec);
}

// YAML turns `tag: 2` into a number; images need the text.
function normalizeTags(spec: IstioOperatorSpec): IstioOperatorSpec {
  if (typeof spec.tag === 'number') spec.tag = String(spec.tag);
  const c = spec.components;
  if (!c) return spec;
  for (const comp of [c.pilot, c.cni, c.ztunnel, ...(c.ingressGateways ?? []), ...(c.egressGateways ?? [])]) {
    if (isPlainObject(comp) && typeof comp.tag === 'number') comp.tag = String(comp.tag);
  }
  return spec;
}
