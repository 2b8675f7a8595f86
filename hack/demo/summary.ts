// The demo's closing report, as plain-text tables. Pure: takes the objects read from the cluster.
import type { Obj } from './kube';

/** Left-aligned columns sized to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

interface ComponentStatus {
  status?: string;
  error?: string;
  message?: string;
}

interface IopStatus {
  status?: string;
  message?: string;
  componentStatus?: Record<string, ComponentStatus>;
}

export function iopStatus(iop: Obj | undefined): IopStatus {
  const s = iop?.status;
  return typeof s === 'object' && s !== null ? (s as IopStatus) : {};
}

/** One progress line for the IstioOperator: overall status and each component's. */
export function iopProgress(iop: Obj | undefined): string {
  const s = iopStatus(iop);
  const parts = Object.entries(s.componentStatus ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => `${name}=${c.status ?? '?'}`);
  return `${s.status ?? 'no status yet'}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** Component table: the IstioOperator's componentStatus plus ready counts of each workload. */
export function componentTable(iop: Obj | undefined, workloads: readonly Obj[]): string {
  const s = iopStatus(iop);
  const rows = Object.entries(s.componentStatus ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => [name, c.status ?? '?', c.error ?? c.message ?? '']);
  const comps = table(['COMPONENT', 'STATUS', 'DETAIL'], rows);
  const wl = table(
    ['WORKLOAD', 'NAMESPACE', 'READY', 'IMAGE'],
    workloads.map((w) => [
      `${w.kind}/${w.metadata?.name ?? '?'}`,
      w.metadata?.namespace ?? '',
      readyOf(w),
      firstImage(w),
    ]),
  );
  return `IstioOperator ${iop?.metadata?.namespace}/${iop?.metadata?.name}: ${s.status ?? 'no status'}\n${comps}\n\n${wl}`;
}

interface WorkloadStatus {
  replicas?: number;
  readyReplicas?: number;
  desiredNumberScheduled?: number;
  numberReady?: number;
}

function readyOf(w: Obj): string {
  const st = (w.status ?? {}) as WorkloadStatus;
  if (w.kind === 'DaemonSet') return `${st.numberReady ?? 0}/${st.desiredNumberScheduled ?? 0}`;
  return `${st.readyReplicas ?? 0}/${st.replicas ?? 0}`;
}

interface ContainerLike {
  name: string;
  image?: string;
  restartPolicy?: string;
}

interface PodSpecLike {
  initContainers?: ContainerLike[];
  containers?: ContainerLike[];
}

function podSpecOf(o: Obj): PodSpecLike {
  const spec = o.spec as { template?: { spec?: PodSpecLike } } & PodSpecLike;
  return (o.kind === 'Pod' ? spec : spec?.template?.spec) ?? {};
}

function firstImage(w: Obj): string {
  return podSpecOf(w).containers?.[0]?.image ?? '';
}

/**
 * What injection did to a pod, in start order: init containers (a native sidecar, i.e. an init container
 * with restartPolicy Always, is marked "sidecar"), then the regular containers.
 */
export function podContainers(pod: Obj): { init: string[]; containers: string[]; injected: boolean } {
  const spec = podSpecOf(pod);
  const init = (spec.initContainers ?? []).map((c) =>
    c.restartPolicy === 'Always' ? `${c.name} (native sidecar)` : c.name,
  );
  const containers = (spec.containers ?? []).map((c) => c.name);
  const annotations = pod.metadata?.annotations ?? {};
  return { init, containers, injected: 'sidecar.istio.io/status' in annotations };
}

interface PodStatusLike {
  phase?: string;
  containerStatuses?: { ready?: boolean }[];
  initContainerStatuses?: { ready?: boolean; started?: boolean }[];
}

export function podTable(pods: readonly Obj[]): string {
  const rows = [...pods]
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .map((p) => {
      const c = podContainers(p);
      const st = (p.status ?? {}) as PodStatusLike;
      const total = c.containers.length + c.init.filter((n) => n.endsWith('(native sidecar)')).length;
      const ready =
        (st.containerStatuses ?? []).filter((s) => s.ready).length +
        (st.initContainerStatuses ?? []).filter((s) => s.ready && s.started).length;
      return [
        p.metadata?.name ?? '?',
        `${ready}/${total}`,
        st.phase ?? '?',
        c.injected ? 'yes' : 'NO',
        c.init.join(', ') || '-',
        c.containers.join(', '),
      ];
    });
  return table(['POD', 'READY', 'PHASE', 'INJECTED', 'INIT CONTAINERS', 'CONTAINERS'], rows);
}

interface RouteLike {
  destination?: { host?: string; subset?: string };
  weight?: number;
}

/** A short description of an Istio networking object (routes with weights, subsets, servers). */
export function describeIstioObject(o: Obj): string {
  const spec = (o.spec ?? {}) as {
    hosts?: string[];
    gateways?: string[];
    http?: { route?: RouteLike[] }[];
    subsets?: { name?: string }[];
    host?: string;
    servers?: { port?: { number?: number; protocol?: string }; hosts?: string[] }[];
  };
  switch (o.kind) {
    case 'VirtualService': {
      const routes = (spec.http ?? []).flatMap((h) => h.route ?? []);
      const targets = routes.map(
        (r) =>
          `${r.destination?.host ?? '?'}${r.destination?.subset ? `:${r.destination.subset}` : ''}` +
          (r.weight !== undefined ? ` ${r.weight}%` : ''),
      );
      const via = spec.gateways?.length ? ` via ${spec.gateways.join(',')}` : '';
      return `hosts ${(spec.hosts ?? []).join(',')}${via} -> ${[...new Set(targets)].join(', ')}`;
    }
    case 'DestinationRule':
      return `host ${spec.host ?? '?'}, subsets ${(spec.subsets ?? []).map((s) => s.name).join(', ') || '-'}`;
    case 'Gateway':
      return (spec.servers ?? [])
        .map((s) => `${s.port?.protocol ?? '?'} ${s.port?.number ?? '?'} for ${(s.hosts ?? []).join(',')}`)
        .join('; ');
    default:
      return '';
  }
}

export function istioObjectTable(objs: readonly Obj[]): string {
  return table(
    ['KIND', 'NAME', 'WHAT'],
    objs.map((o) => [
      o.kind ?? '?',
      `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`,
      describeIstioObject(o),
    ]),
  );
}

/**
 * Admission decisions by result from the webhook's Prometheus text (`meshwright_webhook_requests_total`),
 * e.g. "injected 7, allowed 3". Empty when the metric is absent.
 */
export function admissionCounts(metrics: string): string {
  const counts: string[] = [];
  for (const line of metrics.split('\n')) {
    const m = /^meshwright_webhook_requests_total\{[^}]*result="([^"]+)"[^}]*\} ([0-9.e+]+)$/.exec(line);
    if (m) counts.push(`${m[1]} ${Number(m[2])}`);
  }
  return counts.sort().join(', ');
}
