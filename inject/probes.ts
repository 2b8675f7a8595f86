// App probe rewrite: with mTLS the kubelet cannot reach the app's HTTP/TCP/gRPC probe ports, so probes
// (and httpGet/tcpSocket lifecycle hooks) are pointed at the agent's status port under
// /app-health/<container>/{readyz,livez,startupz} and /app-lifecycle/<container>/{prestopz,poststartz};
// the originals, named ports resolved, go to the proxy as JSON in ISTIO_KUBE_APP_PROBERS.
import type { V1Container, V1LifecycleHandler, V1Probe } from '@kubernetes/client-node';
import { PROXY_CONTAINER } from './context';
import { goJson } from './go-json';

export const APP_PROBERS_ENV = 'ISTIO_KUBE_APP_PROBERS';

type Handler = Pick<V1Probe, 'httpGet' | 'tcpSocket' | 'grpc'>;
type Prober = Handler & { timeoutSeconds?: number };

const KINDS = [
  ['readinessProbe', 'readyz'],
  ['livenessProbe', 'livez'],
  ['startupProbe', 'startupz'],
] as const;
const HOOKS = [
  ['preStop', 'prestopz'],
  ['postStart', 'poststartz'],
] as const;

/** The agent URLs for a container's probes and hooks. */
export const probeUrl = (container: string, kind: string): string => `/app-health/${container}/${kind}`;
export const hookUrl = (container: string, kind: string): string => `/app-lifecycle/${container}/${kind}`;

/** Records every rewritable probe/hook of the app containers; '' when there is none. */
export function dumpAppProbers(containers: V1Container[], statusPort: number): string {
  const out: Record<string, Prober> = {};
  for (const c of containers) {
    if (c.name === PROXY_CONTAINER) continue;
    const ports = new Map<string, number>();
    for (const p of c.ports ?? []) if (p.name) ports.set(p.name, p.containerPort);
    for (const [field, kind] of KINDS) {
      const p = c[field];
      const pr = p && resolved(prober(p, p.timeoutSeconds), ports, statusPort);
      if (pr) out[probeUrl(c.name, kind)] = pr;
    }
    for (const [field, kind] of HOOKS) {
      const h = c.lifecycle?.[field];
      const pr = h && resolved(prober(h, undefined), ports, statusPort);
      if (pr) out[hookUrl(c.name, kind)] = pr;
    }
  }
  const keys = Object.keys(out).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${JSON.stringify(k)}:${goJson(out[k], 'Prober')}`).join(',')}}`;
}

/** Union of two ISTIO_KUBE_APP_PROBERS values (entries of `newer` win), re-serialized sorted. */
export function mergeProbers(older: string, newer: string): string {
  let a: Record<string, Prober>;
  let b: Record<string, Prober>;
  try {
    a = JSON.parse(older) as Record<string, Prober>;
    b = JSON.parse(newer) as Record<string, Prober>;
  } catch {
    return newer;
  }
  const all = { ...a, ...b };
  const keys = Object.keys(all).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${goJson(all[k], 'Prober')}`).join(',')}}`;
}

function prober(h: Handler | V1LifecycleHandler, timeoutSeconds: number | undefined): Prober | undefined {
  const t = timeoutSeconds ? { timeoutSeconds } : {};
  if (h.httpGet) return { httpGet: { ...h.httpGet }, ...t };
  if (h.tcpSocket) return { tcpSocket: { ...h.tcpSocket }, ...t };
  if ('grpc' in h && h.grpc) return { grpc: { ...h.grpc }, ...t };
  return undefined;
}

// Named ports resolve to numbers; a probe already on the status port was rewritten before.
function resolved(p: Prober | undefined, ports: Map<string, number>, statusPort: number): Prober | undefined {
  if (!p) return undefined;
  if (p.grpc) return p;
  const action = p.httpGet ?? p.tcpSocket;
  if (!action) return undefined;
  if (typeof action.port === 'string') {
    const n = ports.get(action.port);
    if (n === undefined) return undefined;
    action.port = n;
  } else if (action.port === statusPort) {
    return undefined;
  }
  return p;
}

/** Points app probes and hooks at the agent (mutates the containers, which the engine owns). */
export function rewriteAppProbes(containers: V1Container[], statusPort: number): void {
  for (const c of containers) {
    if (c.name === PROXY_CONTAINER) continue;
    for (const [field, kind] of KINDS) {
      const p = c[field];
      if (p) c[field] = rewriteProbe(p, probeUrl(c.name, kind), statusPort) ?? p;
    }
    const lc = c.lifecycle;
    if (lc) {
      for (const [field, kind] of HOOKS) {
        const h = lc[field];
        if (h) lc[field] = rewriteHook(h, hookUrl(c.name, kind), statusPort) ?? h;
      }
    }
  }
}

function rewriteProbe(p: V1Probe, path: string, port: number): V1Probe | undefined {
  if (p.httpGet) {
    // The agent probes HTTPS apps itself; the kubelet talks plain HTTP to the agent.
    const httpGet = { ...p.httpGet, port, path };
    if (httpGet.scheme === 'HTTPS') httpGet.scheme = 'HTTP';
    return { ...p, httpGet };
  }
  if (p.tcpSocket || p.grpc) {
    const rest = { ...p };
    delete rest.tcpSocket;
    delete rest.grpc;
    return { ...rest, httpGet: { path, port } };
  }
  return undefined;
}

function rewriteHook(h: V1LifecycleHandler, path: string, port: number): V1LifecycleHandler | undefined {
  if (h.httpGet) {
    const httpGet = { ...h.httpGet, port, path };
    if (httpGet.scheme === 'HTTPS') httpGet.scheme = 'HTTP';
    return { ...h, httpGet };
  }
  if (h.tcpSocket) {
    const rest = { ...h };
    delete rest.tcpSocket;
    return { ...rest, httpGet: { path, port } };
  }
  return undefined;
}

/**
 * Undoes a previous rewrite from the recorded originals (re-injection), so probes are rewritten and
 * recorded again exactly as on first injection.
 */
export function restoreAppProbes(containers: V1Container[], recorded: string | undefined): void {
  if (!recorded) return;
  let probers: Record<string, Prober>;
  try {
    probers = JSON.parse(recorded) as Record<string, Prober>;
  } catch {
    return;
  }
  for (const c of containers) {
    for (const [field, kind] of KINDS) {
      const rec = probers[probeUrl(c.name, kind)];
      const p = c[field];
      if (rec && p?.httpGet?.path === probeUrl(c.name, kind)) {
        const rest = { ...p };
        delete rest.httpGet;
        c[field] = { ...rest, ...handlerOf(rec) };
      }
    }
    for (const [field, kind] of HOOKS) {
      const rec = probers[hookUrl(c.name, kind)];
      const h = c.lifecycle?.[field];
      if (rec && c.lifecycle && h?.httpGet?.path === hookUrl(c.name, kind)) {
        const rest = { ...h };
        delete rest.httpGet;
        c.lifecycle[field] = { ...rest, ...handlerOf(rec) };
      }
    }
  }
}

function handlerOf(p: Prober): Handler {
  if (p.httpGet) return { httpGet: p.httpGet };
  if (p.tcpSocket) return { tcpSocket: p.tcpSocket };
  return p.grpc ? { grpc: p.grpc } : {};
}
