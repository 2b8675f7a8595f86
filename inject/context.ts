// Per-request template data: everything the injection templates read about the pod, the values and the
// mesh, resolved once (annotation-or-default lookups, effective ProxyConfig, images, UIDs, native mode).
import type { V1Container, V1Namespace, V1ObjectMeta, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { defaultProxyConfig, mergeProxyConfig, type MeshConfig, type ProxyConfig } from '../lib/istio/mesh';
import { deepMerge, isPlainObject, type PlainObject } from '../lib/istio/merge';
import { defaultValues, type ResolvedValues } from '../lib/istio/values';
import type { InjectionConfig } from './api';
import { A } from './annotations';
import { proxyImage } from './images';
import { nativeSidecarDefault } from './native-sidecar';
import { openshiftProxyIds } from './openshift';
import type { Workload } from './owner';
import { resolveVersion, type ResolvedVersion, type VersionBehaviour } from './versions';

export const PROXY_CONTAINER = 'istio-proxy';

/** What is computed once per InjectionConfig (cached): resolved values and mesh-level proxy config. */
export interface CompiledConfig {
  values: ResolvedValues;
  mesh: MeshConfig;
  /** mesh.defaultConfig as configured (PROXY_CONFIG carries only these overrides). */
  meshProxyOverrides: ProxyConfig;
  trustDomain: string;
  nativeDefault: boolean;
  openshift: boolean;
  /** The Istio release imitated (see versions.ts) and its behaviour flags. */
  version: ResolvedVersion;
  behaviour: VersionBehaviour;
  compliancePolicy: string;
}

const compiled = new WeakMap<InjectionConfig, CompiledConfig>();

export function compile(cfg: InjectionConfig): CompiledConfig {
  let c = compiled.get(cfg);
  if (!c) {
    const values = resolvedValues(cfg.values as PlainObject);
    const mesh = cfg.meshConfig;
    const overrides = (isPlainObject(mesh.defaultConfig) ? mesh.defaultConfig : {}) as ProxyConfig;
    const platform = cfg.platform ?? values.global.platform;
    const version = cfg.version ?? resolveVersion(undefined);
    c = {
      version,
      behaviour: version.behaviour,
      compliancePolicy: cfg.compliancePolicy ?? '',
      values,
      mesh,
      meshProxyOverrides: overrides,
      trustDomain: (mesh.trustDomain || values.global.trustDomain || '') as string,
      nativeDefault: nativeSidecarDefault(cfg.nativeSidecars, cfg.nodeKubeletVersions),
      openshift: platform === 'openshift',
    };
    compiled.set(cfg, c);
  }
  return c;
}

// Configs from buildInjectionConfig are complete; a hand-made partial one is completed with the defaults.
function resolvedValues(v: PlainObject): ResolvedValues {
  const r = v as ResolvedValues;
  const complete =
    isPlainObject(r.global) &&
    isPlainObject(r.global.proxy) &&
    isPlainObject(r.global.proxy_init) &&
    isPlainObject(r.sidecarInjectorWebhook) &&
    isPlainObject(r.pilot) &&
    isPlainObject(r.pilot.cni);
  return complete ? r : (deepMerge(defaultValues() as PlainObject, v) as ResolvedValues);
}

export interface TemplateContext {
  cfg: CompiledConfig;
  values: ResolvedValues;
  mesh: MeshConfig;
  /** The pod's metadata (after removal of a previous injection). */
  meta: V1ObjectMeta;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  spec: V1PodSpec;
  /** ProxyConfig the proxy runs with: defaults, mesh defaultConfig, then the pod's proxy.istio.io/config. */
  proxyConfig: ProxyConfig;
  /** The configured overrides only (mesh defaultConfig + annotation), as PROXY_CONFIG carries them. */
  proxyConfigOverrides: ProxyConfig;
  revision: string;
  workload: Workload;
  proxyImage: string;
  /** istio-init's image: from `global.proxy_init.image` where the version has it, else the proxy image. */
  proxyInitImage: string;
  proxyUID?: number;
  proxyGID?: number;
  /** The UID/GID come from the platform (OpenShift namespace ranges), not from the pod. */
  platformIds: boolean;
  /** The UID the user's own istio-proxy container asks for (wins for iptables even with TPROXY). */
  userProxyUID?: number;
  /** Native sidecar: the injector's decision (see native-sidecar.ts), overridden by the pod annotation. */
  native: boolean;
  interceptionMode: string;
  tproxy: boolean;
  /** Status port as the templates see it (annotation or values), a string like the Go templates. */
  statusPort: string;
  appContainers: string[];
  inboundTrafficPolicyMode: string;
}

export class ProxyConfigAnnotationError extends Error {}

/** Looks up an annotation, falling back to a default rendered as text (the templates' `annotation`). */
export function ann(ctx: TemplateContext, name: string, def: unknown): string {
  const v = ctx.annotations[name];
  return v !== undefined ? v : def === undefined || def === null ? '' : String(def);
}

export function buildContext(
  pod: V1Pod,
  cfg: InjectionConfig,
  workload: Workload,
  namespaceObject: V1Namespace | undefined,
): TemplateContext {
  const c = compile(cfg);
  const annotations = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  const spec = pod.spec ?? { containers: [] };
  const podOverrides = parseProxyConfigAnnotation(annotations[A.proxyConfig]);
  const proxyConfigOverrides = podOverrides
    ? mergeProxyConfig(c.meshProxyOverrides, podOverrides)
    : c.meshProxyOverrides;
  const proxyConfig = mergeProxyConfig(defaultProxyConfig(), proxyConfigOverrides);
  const interceptionMode =
    annotations[A.interceptionMode] ?? String(proxyConfig.interceptionMode ?? 'REDIRECT');
  const nativeAnn = annotations[A.nativeSidecar];
  const native = (nativeAnn || String(c.nativeDefault)) !== 'false';
  const ids = c.openshift ? openshiftProxyIds(namespaceObject) : {};
  // A user's istio-proxy may set the proxy's UID/GID; iptables must then exclude that UID instead.
  const userProxy = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find(
    (x) => x.name === PROXY_CONTAINER,
  );
  const gp = c.values.global.proxy;
  return {
    cfg: c,
    values: c.values,
    mesh: c.mesh,
    meta: pod.metadata ?? {},
    annotations,
    labels,
    spec,
    proxyConfig,
    proxyConfigOverrides,
    revision: cfg.revision || 'default',
    workload,
    proxyImage: proxyImage(c.values, proxyConfig, annotations),
    proxyInitImage: c.behaviour.initImageValue
      ? proxyImage(c.values, proxyConfig, annotations, c.values.global.proxy_init.image || 'proxyv2')
      : proxyImage(c.values, proxyConfig, annotations),
    proxyUID: ids.uid ?? userProxy?.securityContext?.runAsUser,
    proxyGID: ids.gid ?? userProxy?.securityContext?.runAsGroup,
    platformIds: ids.uid !== undefined || ids.gid !== undefined,
    userProxyUID: ids.uid === undefined ? userProxy?.securityContext?.runAsUser : undefined,
    native,
    interceptionMode,
    tproxy: interceptionMode === 'TPROXY',
    statusPort: annotations[A.statusPort] ?? String(gp.statusPort ?? ''),
    appContainers: appContainerNames(spec.containers),
    inboundTrafficPolicyMode: String(c.mesh.inboundTrafficPolicy?.mode ?? 'PASSTHROUGH').toLowerCase(),
  };
}

export function appContainerNames(containers: V1Container[] | undefined): string[] {
  const out: string[] = [];
  for (const c of containers ?? []) if (c.name !== PROXY_CONTAINER) out.push(c.name);
  return out;
}

/** Parses proxy.istio.io/config (YAML or JSON ProxyConfig). Validation already rejected bad syntax. */
export function parseProxyConfigAnnotation(raw: string | undefined): ProxyConfig | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const v: unknown = parseYaml(raw);
  if (v === null || v === undefined) return undefined;
  if (!isPlainObject(v)) throw new ProxyConfigAnnotationError('proxy config must be an object');
  return v as ProxyConfig;
}
