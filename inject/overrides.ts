// User overrides of injected containers: a container in the pod named like one a template injects
// (istio-proxy, istio-init, or an app container the grpc-agent template amends) is re-applied on top of
// the injected one, `image: auto` meaning "keep the injected image". The overrides are remembered in
// proxy.istio.io/overrides so a re-injection (which removes injected containers first) can restore them.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { A } from './annotations';
import { PROXY_CONTAINER } from './context';
import { goJson } from './go-json';
import { mergeList, type Json } from './overlay';
import { canonicalizeResourceList } from './quantity';

export const AUTO_IMAGE = 'auto';

export interface ParsedOverrides {
  containers: V1Container[];
  initContainers: V1Container[];
}

export function parseOverrides(raw: string | undefined): ParsedOverrides {
  const out: ParsedOverrides = { containers: [], initContainers: [] };
  if (!raw) return out;
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object') {
      const o = v as { containers?: unknown; initContainers?: unknown };
      const containers = containerList(o.containers);
      const initContainers = containerList(o.initContainers);
      // Like istiod's json.Unmarshal into []corev1.Container: one ill-typed entry makes the record unreadable.
      if (containers === undefined || initContainers === undefined) return out;
      out.containers = containers.map(withoutEmptyResources);
      out.initContainers = initContainers.map(withoutEmptyResources);
    }
  } catch {
    // An unreadable record only loses the user's overrides on re-injection.
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// Container fields by JSON type; the annotation is user-editable text, so its entries are checked before
// they are merged into the pod or put back into its container lists (a string or a nameless entry there,
// or `env: "x"`, would produce a pod the apiserver refuses, or make the next injection throw).
const OBJECT_LISTS = ['ports', 'env', 'envFrom', 'volumeMounts', 'volumeDevices', 'resizePolicy'];
const STRING_LISTS = ['command', 'args'];
const OBJECTS = [
  'resources',
  'securityContext',
  'lifecycle',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
];
const STRINGS = [
  'image',
  'imagePullPolicy',
  'workingDir',
  'restartPolicy',
  'terminationMessagePath',
  'terminationMessagePolicy',
];

function containerShaped(c: unknown): c is V1Container {
  if (!isObject(c) || typeof c.name !== 'string' || c.name === '') return false;
  for (const [k, v] of Object.entries(c)) {
    if (v === null) continue;
    if (OBJECT_LISTS.includes(k) && !(Array.isArray(v) && v.every(isObject))) return false;
    if (STRING_LISTS.includes(k) && !(Array.isArray(v) && v.every((x) => typeof x === 'string')))
      return false;
    if (OBJECTS.includes(k) && !isObject(v)) return false;
    if (STRINGS.includes(k) && typeof v !== 'string') return false;
  }
  return true;
}

/** The entries when `v` is absent, null or a list of containers; undefined when it is not. */
function containerList(v: unknown): V1Container[] | undefined {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) && v.every(containerShaped) ? v : undefined;
}

// The record is Go-shaped: empty lists and `resources: {}` are dropped there, so they are dropped from
// every overlay too, or a re-injection (which reads the record) would differ from the first injection.
function withoutEmptyResources(c: V1Container): V1Container {
  const o = c as unknown as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (Array.isArray(v) && v.length === 0) delete o[k];
  }
  if (c.resources && Object.keys(c.resources).length === 0) delete c.resources;
  return c;
}

/**
 * Puts copies of recorded override containers back into a stripped pod: those whose name is in neither
 * container list (a container of that name still present is the override; injection moves it where it
 * belongs, and a second copy would give the pod two containers of one name).
 */
export function reinsertOverrides(pod: V1Pod, ov: ParsedOverrides): void {
  const spec = pod.spec;
  if (!spec) return;
  const present = (name: string): boolean =>
    [...spec.containers, ...(spec.initContainers ?? [])].some((x) => x.name === name);
  for (const c of ov.containers) {
    if (!present(c.name)) spec.containers.push(structuredClone(c));
  }
  for (const c of ov.initContainers) {
    // A user's istio-proxy lives among the containers (injection moves it for native sidecars); putting it
    // back there keeps template data such as ISTIO_META_POD_PORTS as on the first injection.
    if (present(c.name)) continue;
    if (c.name === PROXY_CONTAINER) spec.containers.push(structuredClone(c));
    else (spec.initContainers ??= []).push(structuredClone(c));
  }
}

/**
 * A copy of a container as a Go round trip leaves it (empty values and unknown fields dropped), without
 * `image: auto` (the injected image applies).
 */
export function goShaped(c: V1Container): V1Container {
  const o = withoutEmptyResources(JSON.parse(goJson(c, 'Container')) as V1Container);
  if (o.image === AUTO_IMAGE) delete o.image;
  return o;
}

/**
 * The overlay for a user container: exactly what its record in the annotation will read back as (Go
 * shape: empty values dropped), so a re-injection applies the same overlay. `image: auto` is dropped.
 */
export function overlayOf(c: V1Container): V1Container {
  const o = goShaped(c);
  canonicalizeResourceList(o.resources?.limits);
  canonicalizeResourceList(o.resources?.requests);
  return o;
}

/** Strategic-merges `overlay` into the same-named container of `list` (the list is replaced). */
export function applyContainerOverlay(list: V1Container[], overlay: V1Container): V1Container[] {
  return mergeList(
    list as unknown as Json[],
    [overlay as unknown as Json],
    'name',
  ) as unknown as V1Container[];
}

export function overridesAnnotation(ov: ParsedOverrides): string {
  const parts: string[] = [];
  if (ov.containers.length) parts.push(`"containers":${goJson(ov.containers, 'Container')}`);
  if (ov.initContainers.length) parts.push(`"initContainers":${goJson(ov.initContainers, 'Container')}`);
  return `{${parts.join(',')}}`;
}

export const OVERRIDES_ANNOTATION = A.overrides;
