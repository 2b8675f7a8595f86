// The pure sidecar injection engine: (pod, config) -> outcome, no I/O, inputs never mutated.
// Steps, as istiod performs them: selection, annotation validation, removal of a previous injection,
// rendering of the selected templates as typed partial pods, strategic overlay onto the pod, re-applied
// user overrides, then post-processing (metrics merge, probe rewrite, status, container order).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { InjectionConfig, InjectionOutcome, InjectionRequest } from './api';
import { A, L, parseGoBool, validateAnnotations } from './annotations';
import {
  buildContext,
  compile,
  PROXY_CONTAINER,
  ProxyConfigAnnotationError,
  type TemplateContext,
} from './context';
import { deepClone } from '../lib/istio/merge';
import { mergeList, mergeObject, type Json, type JsonObject } from './overlay';
import {
  applyContainerOverlay,
  goShaped,
  overlayOf,
  overridesAnnotation,
  parseOverrides,
  reinsertOverrides,
  type ParsedOverrides,
} from './overrides';
import { workloadOf } from './owner';
import { createPatch } from './patch';
import { APP_PROBERS_ENV, dumpAppProbers, mergeProbers, restoreAppProbes, rewriteAppProbes } from './probes';
import { applyPrometheusMerge } from './prometheus';
import { holdApplication } from './proxy-container';
import { canonicalizeResourceList } from './quantity';
import { pinIptablesUid } from './render/iptables-uid';
import { reorderContainers } from './reorder';
import { injectRequired } from './selection';
import { parseStatus, statusAnnotation, stripInjected, type InjectionStatus } from './status';
import { selectedTemplates, templateNamed, templateNames } from './templates';
import { TemplateError } from './templates/go-template';
import type { Template, TemplatePod } from './templates/types';

export type { InjectionConfig, InjectionOutcome, InjectionRequest } from './api';
export { buildInjectionConfig, injectionConfigFromConfigMaps } from './config';

export function injectPod(req: InjectionRequest, cfg: InjectionConfig): InjectionOutcome {
  const input = req.pod;
  const namespace = req.namespace || input.metadata?.namespace || '';

  const skip = skipReason(req, cfg, namespace);
  if (skip) return { kind: 'skipped', reason: skip, pod: input };

  const invalid = validateAnnotations(input.metadata?.annotations);
  if (invalid) return { kind: 'rejected', message: invalid };

  // The one copy of the input; everything below mutates it freely.
  const pod = deepClone(input);
  const meta = (pod.metadata ??= {});
  const spec = (pod.spec ??= { containers: [] });
  spec.containers ??= [];
  const annotations = (meta.annotations ??= {});
  meta.labels ??= {};

  // Re-injection: remove what the previous injection added, restoring the app probes it rewrote.
  const previous = parseStatus(annotations[A.status]);
  const overrides = parseOverrides(annotations[A.overrides]);
  let removed: V1Container[] = [];
  if (previous) {
    removed = stripInjected(pod);
    const recorded = removed
      .find((x) => x.name === PROXY_CONTAINER)
      ?.env?.find((e) => e.name === APP_PROBERS_ENV)?.value;
    restoreAppProbes([...spec.containers, ...(spec.initContainers ?? [])], recorded);
    reinsertOverrides(pod, overrides);
    keepImagesOfRecords(pod, overrides, removed);
  }

  const build = (): TemplateContext | string => {
    try {
      return buildContext(pod, cfg, workloadOf(pod, namespace, req.owner), req.namespaceObject);
    } catch (e) {
      if (e instanceof ProxyConfigAnnotationError) {
        return `invalid value for annotation '${A.proxyConfig}': ${e.message}`;
      }
      throw e;
    }
  };
  let ctx = build();
  if (typeof ctx === 'string') return { kind: 'rejected', message: ctx };

  const names = selectedTemplates(ctx, cfg.templateAliases);
  const templates: Template[] = [];
  for (const name of names) {
    const t = templateNamed(cfg, ctx, name);
    if (!t) {
      const have = templateNames(cfg, ctx).join(', ');
      return { kind: 'rejected', message: `requested template "${name}" not found; have ${have}` };
    }
    templates.push(t);
  }

  // User containers that share a name with an injected one are overrides; the input holds them unmerged.
  const userContainers = [...(input.spec?.containers ?? []), ...(input.spec?.initContainers ?? [])];
  const render = (tc: TemplateContext): TemplatePod[] | string => {
    const out: TemplatePod[] = [];
    for (const template of templates) {
      try {
        out.push(template(tc));
      } catch (e) {
        if (e instanceof TemplateError) return `injection template failed: ${e.message}`;
        throw e;
      }
    }
    return out;
  };
  let rendered = render(ctx);
  if (typeof rendered === 'string') return { kind: 'rejected', message: rendered };
  const homes = overrideHomes(rendered);
  const twice = declaredTwice(spec, homes);
  if (twice) {
    return {
      kind: 'rejected',
      message:
        `container name "${twice}" is declared more than once in containers and initContainers; the ` +
        `injector adds a container of that name, and a user container of that name (in either list) ` +
        `overrides it, so it may appear only once`,
    };
  }
  // An override declared in the other list moves to where the injected container goes, before the template
  // data is read, exactly as a re-injection puts its record back: both injections then see the same pod.
  if (moveOverridesHome(spec, homes)) {
    ctx = build();
    if (typeof ctx === 'string') return { kind: 'rejected', message: ctx };
    rendered = render(ctx);
    if (typeof rendered === 'string') return { kind: 'rejected', message: rendered };
  }
  const injected = emptyTemplatePod();
  for (const t of rendered) recordNames(injected, t);
  goShapeOverlapping(spec, injected);
  for (const t of rendered) {
    // Keyed on the template (not the global mode) so a per-pod nativeSidecar opt-in moves it too.
    moveProxyToInit(spec, t);
    mergeObject(pod as unknown as JsonObject, t as unknown as JsonObject);
  }
  pinIptablesUid(spec, ctx.userProxyUID);
  const applied = reapplyOverrides(pod, ctx, injected, userContainers, overrides, previous, removed);
  // The first injection records the overrides; a re-injection keeps that record.
  if (!previous && (applied.containers.length || applied.initContainers.length)) {
    annotations[A.overrides] = overridesAnnotation(applied);
  }

  const invalidAfter = postProcess(pod, ctx, injected, req.admission);
  if (invalidAfter) return { kind: 'rejected', message: invalidAfter };
  return { kind: 'injected', pod, patch: createPatch(input, pod) };
}

// A record never holds `image: auto` (it means "the injected image"); the container it stands for kept its
// image through the first injection when no template set one (grpc-simple), so it gets it back from the
// removed copy and a re-injection gives the same pod.
function keepImagesOfRecords(pod: V1Pod, recorded: ParsedOverrides, removed: V1Container[]): void {
  const names = new Set([...recorded.containers, ...recorded.initContainers].map((c) => c.name));
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    if (c.image !== undefined || !names.has(c.name)) continue;
    const old = removed.find((r) => r.name === c.name)?.image;
    if (old !== undefined) c.image = old;
  }
}

function skipReason(req: InjectionRequest, cfg: InjectionConfig, namespace: string): string | undefined {
  const pod = req.pod;
  const sw = compile(cfg).values.sidecarInjectorWebhook;
  if (!req.admission) {
    // kube-inject injects what it is given; only host networking (and an explicit opt-out) prevent it.
    const what = req.owner
      ? `${req.owner.kind} "${namespace || 'default'}/${req.owner.name}"`
      : podName(req, namespace);
    if (pod.spec?.hostNetwork) return `Skipping injection because ${what} has host networking enabled`;
    // The system-namespace rule sees the pod template's own namespace, as istioctl's does: a template
    // without one is injected even when the file's workload sits in kube-system.
    const sel = injectRequired(pod.spec, pod.metadata, pod.metadata?.namespace ?? '', { policy: 'enabled' });
    return sel.inject ? undefined : `Skipping injection because ${what} has sidecar injection disabled`;
  }
  const sel = injectRequired(pod.spec, pod.metadata, namespace, {
    policy: String(compile(cfg).values.global.proxy.autoInject ?? 'enabled'),
    neverInjectSelector: sw.neverInjectSelector,
    alwaysInjectSelector: sw.alwaysInjectSelector,
  });
  return sel.inject ? undefined : `Skipping injection of pod ${podName(req, namespace)}: ${sel.reason}`;
}

function podName(req: InjectionRequest, namespace: string): string {
  const m = req.pod.metadata;
  return `Pod "${namespace || 'default'}/${m?.name || m?.generateName || ''}"`;
}

function emptyTemplatePod(): TemplatePod {
  return { metadata: {}, spec: { initContainers: [], containers: [], volumes: [], imagePullSecrets: [] } };
}

// What the templates inject, by name, combined as the pod lists are (for the status annotation).
function recordNames(acc: TemplatePod, t: TemplatePod): void {
  for (const k of ['initContainers', 'containers', 'volumes', 'imagePullSecrets'] as const) {
    const add = t.spec[k];
    if (!add?.length) continue;
    const cur = acc.spec[k] as unknown as Json[];
    const next = mergeList(
      cur,
      add.map((x) => ({ name: x.name ?? '' })),
      'name',
    );
    (acc.spec as Record<string, unknown>)[k] = next;
  }
}

// The pod's own containers that the templates amend take the Go shape istiod gives them (empty values
// dropped), the shape their override record has, so a re-injection sees the same containers.
function goShapeOverlapping(spec: NonNullable<V1Pod['spec']>, injected: TemplatePod): void {
  const names = new Set(
    [...(injected.spec.containers ?? []), ...(injected.spec.initContainers ?? [])].map((c) => c.name),
  );
  // The image stays as written: `image: auto` is only dropped from the overlay, so a template that does
  // not set the image (grpc-simple amends every container) leaves `auto` in place, as istiod does.
  const shape = (c: V1Container): V1Container =>
    names.has(c.name) ? { ...goShaped(c), ...(c.image !== undefined ? { image: c.image } : {}) } : c;
  spec.containers = spec.containers.map(shape);
  if (spec.initContainers) spec.initContainers = spec.initContainers.map(shape);
}

type ContainerList = 'containers' | 'initContainers';

// Where a user container named like an injected one belongs: the list its template injects it into, except
// istio-proxy, which is read among the containers (moveProxyToInit moves it for native sidecars; a
// re-injection puts its record back there too). A name the templates put into both lists has no home.
function overrideHomes(rendered: TemplatePod[]): Map<string, ContainerList> {
  const seen = new Map<string, Set<ContainerList>>();
  for (const t of rendered) {
    for (const list of ['containers', 'initContainers'] as const) {
      for (const { name } of t.spec[list] ?? []) {
        if (name) (seen.get(name) ?? seen.set(name, new Set()).get(name))?.add(list);
      }
    }
  }
  const homes = new Map<string, ContainerList>();
  for (const [name, lists] of seen) {
    if (name === PROXY_CONTAINER) homes.set(name, 'containers');
    else if (lists.size === 1) homes.set(name, [...lists][0]);
  }
  return homes;
}

// The first injected name the pod declares more than once across both lists: which one would override the
// injected container is ambiguous, and a copy left behind would give the pod two containers of one name.
function declaredTwice(
  spec: NonNullable<V1Pod['spec']>,
  homes: Map<string, ContainerList>,
): string | undefined {
  const count = new Map<string, number>();
  for (const { name } of [...spec.containers, ...(spec.initContainers ?? [])]) {
    if (homes.has(name)) count.set(name, (count.get(name) ?? 0) + 1);
  }
  return [...count].find(([, n]) => n > 1)?.[0];
}

// Moves user containers named like an injected one from the other list to the injected one's (appended, as a
// re-injection re-inserts its record); whether any moved.
function moveOverridesHome(spec: NonNullable<V1Pod['spec']>, homes: Map<string, ContainerList>): boolean {
  let moved = false;
  for (const [name, home] of homes) {
    const from = home === 'containers' ? spec.initContainers : spec.containers;
    const i = from?.findIndex((x) => x.name === name) ?? -1;
    if (!from || i < 0) continue;
    const [c] = from.splice(i, 1);
    (spec[home] ??= []).push(c);
    moved = true;
  }
  if (spec.initContainers?.length === 0) delete spec.initContainers;
  return moved;
}

// A native-sidecar template injects istio-proxy as an init container; a user's istio-proxy override
// declared among the containers moves along so it still applies.
function moveProxyToInit(spec: V1Pod['spec'] & object, t: TemplatePod): void {
  if (!t.spec.initContainers?.some((x) => x.name === PROXY_CONTAINER)) return;
  const i = spec.containers.findIndex((x) => x.name === PROXY_CONTAINER);
  if (i < 0) return;
  const [proxy] = spec.containers.splice(i, 1);
  (spec.initContainers ??= []).push(proxy);
}

function reapplyOverrides(
  pod: V1Pod,
  ctx: TemplateContext,
  injected: TemplatePod,
  userContainers: V1Container[],
  recorded: ParsedOverrides,
  previous: InjectionStatus | undefined,
  removed: V1Container[],
): ParsedOverrides {
  const spec = pod.spec as NonNullable<V1Pod['spec']>;
  const applied: ParsedOverrides = { containers: [], initContainers: [] };
  const find = (name: string, list: V1Container[]): V1Container | undefined =>
    list.find((x) => x.name === name);
  const pass = (names: { name?: string }[] | undefined, init: boolean): void => {
    const recordedList = init ? recorded.initContainers : recorded.containers;
    for (const { name = '' } of names ?? []) {
      let match = find(name, recordedList);
      let record = match !== undefined;
      if (!match && !previous) {
        match = find(name, userContainers);
        record = match !== undefined;
      } else if (!match && init && previous && !previous.initContainers?.includes(name)) {
        // Injected before as a regular container, now as a native sidecar: istiod keeps its settings.
        // (Not the other way round: a native sidecar's restartPolicy must not reach a regular container.)
        match = find(name, removed);
      }
      if (!match) continue;
      const overlay = overlayOf(match);
      if (ctx.platformIds && name === PROXY_CONTAINER && overlay.securityContext) {
        // On OpenShift the platform assigns the IDs; a copied runAsUser/runAsGroup must not pin them.
        delete overlay.securityContext.runAsUser;
        delete overlay.securityContext.runAsGroup;
      }
      if (record) (init ? applied.initContainers : applied.containers).push(overlay);
      const patch = structuredClone(overlay);
      // TPROXY needs the proxy to run as root; the chosen UID only goes to iptables.
      if (ctx.tproxy && name === PROXY_CONTAINER) delete patch.securityContext?.runAsUser;
      if (init) spec.initContainers = applyContainerOverlay(spec.initContainers ?? [], patch);
      else spec.containers = applyContainerOverlay(spec.containers, patch);
    }
  };
  pass(injected.spec.containers, false);
  pass(injected.spec.initContainers, true);
  return applied;
}

// Returns a rejection message when the pod's own settings turn out invalid here (metrics ports).
function postProcess(
  pod: V1Pod,
  ctx: TemplateContext,
  injected: TemplatePod,
  admission: boolean,
): string | undefined {
  const meta = pod.metadata as NonNullable<V1Pod['metadata']>;
  const spec = pod.spec as NonNullable<V1Pod['spec']>;
  const annotations = meta.annotations as Record<string, string>;
  const sidecar = find(spec.containers, PROXY_CONTAINER) ?? find(spec.initContainers, PROXY_CONTAINER);
  // Cluster and network are cluster information istiod re-applies first: the configured cluster name and
  // the network (the pod's label wins over values) move to the end of the proxy env, sorted by name,
  // before the metrics and probe steps append theirs.
  const clusterEnv = clusterInfoEnv(ctx);
  const network = clusterEnv.ISTIO_META_NETWORK;
  if (network) (meta.labels as Record<string, string>)[L.network] = network;
  if (sidecar && Object.keys(clusterEnv).length > 0) {
    sidecar.env = (sidecar.env ?? []).filter((e) => clusterEnv[e.name] === undefined);
    for (const name of Object.keys(clusterEnv).sort()) sidecar.env.push({ name, value: clusterEnv[name] });
  }
  const meshStatusPort = Number(ctx.proxyConfig.statusPort ?? 15020);
  const invalid = applyPrometheusMerge(meta, ctx.mesh, String(meshStatusPort), sidecar, {
    behaviour: ctx.cfg.behaviour,
    proxyMetadata: ctx.proxyConfig.proxyMetadata ?? {},
  });
  if (invalid) return invalid;

  if (sidecar && rewriteProbes(annotations, ctx)) {
    const statusPort = parseInt(annotations[A.statusPort] ?? String(meshStatusPort), 10);
    // Native sidecars among the init containers have probes too.
    const apps = [...spec.containers, ...(spec.initContainers ?? [])];
    const probers = dumpAppProbers(apps, statusPort);
    if (probers) {
      setAppProbers(sidecar, probers);
      rewriteAppProbes(apps, statusPort);
    }
  }
  annotations[A.status] = statusAnnotation(injected, ctx.revision);
  // Only the webhook adds injectedAnnotations; istioctl kube-inject does not.
  if (admission) {
    for (const [k, v] of Object.entries(ctx.values.sidecarInjectorWebhook.injectedAnnotations ?? {})) {
      annotations[k] = v;
    }
  }
  reorderContainers(spec, holdApplication(ctx));
  // Injected containers carry canonical quantities (as istiod's output); the app's own are left alone.
  const ours = new Set(
    [...(injected.spec.containers ?? []), ...(injected.spec.initContainers ?? [])].map((c) => c.name),
  );
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    if (!ours.has(c.name)) continue;
    canonicalizeResourceList(c.resources?.limits);
    canonicalizeResourceList(c.resources?.requests);
  }
  return undefined;
}

function clusterInfoEnv(ctx: TemplateContext): Record<string, string> {
  const out: Record<string, string> = {};
  const cluster = ctx.values.global.multiCluster?.clusterName;
  if (cluster) out.ISTIO_META_CLUSTER_ID = cluster;
  const network = ctx.labels[L.network] || ctx.values.global.network;
  if (network) out.ISTIO_META_NETWORK = network;
  return out;
}

// A proxy kept from a previous injection may already carry probers: merge, newer entries win.
function setAppProbers(sidecar: V1Container, probers: string): void {
  const env = (sidecar.env ??= []);
  const existing = env.find((e) => e.name === APP_PROBERS_ENV);
  if (!existing) {
    env.push({ name: APP_PROBERS_ENV, value: probers });
    return;
  }
  // An entry without a value (a user override naming the variable) is filled, not duplicated: a second
  // entry lost the probers on re-injection.
  delete existing.valueFrom;
  existing.value = existing.value ? mergeProbers(existing.value, probers) : probers;
}

function rewriteProbes(annotations: Record<string, string>, ctx: TemplateContext): boolean {
  return (
    parseGoBool(annotations[A.rewriteAppHTTPProbers]) ??
    ctx.values.sidecarInjectorWebhook.rewriteAppHTTPProbe !== false
  );
}

function find(list: V1Container[] | undefined, name: string): V1Container | undefined {
  return list?.find((x) => x.name === name);
}
