// The istio-proxy container of the sidecar template: pilot-agent + Envoy, readiness/startup probes on
// the agent's :15021, a read-only unprivileged security context (UID 1337 or the OpenShift range),
// and lifecycle hooks: drain on preStop for native sidecars, `pilot-agent wait` to hold the app.
import type {
  V1Container,
  V1Lifecycle,
  V1Probe,
  V1SeccompProfile,
  V1SecurityContext,
} from '@kubernetes/client-node';
import { A } from './annotations';
import { ann, PROXY_CONTAINER, type TemplateContext } from './context';
import { proxyEnv } from './env';
import { containerImage } from './images';
import { proxyResources } from './resources';
import { proxyVolumeMounts } from './volumes';

export function proxyArgs(ctx: TemplateContext, mode: 'sidecar' | 'router'): string[] {
  const g = ctx.values.global;
  const args = [
    'proxy',
    mode,
    '--domain',
    `$(POD_NAMESPACE).svc.${g.proxy.clusterDomain ?? 'cluster.local'}`,
    `--proxyLogLevel=${ann(ctx, A.logLevel, g.proxy.logLevel)}`,
    `--proxyComponentLogLevel=${ann(ctx, A.componentLogLevel, g.proxy.componentLogLevel)}`,
    `--log_output_level=${ann(ctx, A.agentLogLevel, g.logging?.level)}`,
  ];
  if (g.sts?.servicePort) args.push(`--stsPort=${g.sts.servicePort}`);
  if (g.logAsJson) args.push('--log_as_json');
  return args;
}

/** holdApplicationUntilProxyStarts from the ProxyConfig or values; native sidecars need no hold. */
export function holdApplication(ctx: TemplateContext): boolean {
  return (
    ctx.proxyConfig.holdApplicationUntilProxyStarts === true ||
    ctx.values.global.proxy.holdApplicationUntilProxyStarts === true
  );
}

/** Readiness probe on the agent; numeric annotation overrides as the template renders them. */
export function readinessProbe(ctx: TemplateContext, port: number, annotationOverrides: boolean): V1Probe {
  const p = ctx.values.global.proxy;
  const pick = (name: string, def: number | undefined): number =>
    Number(annotationOverrides ? ann(ctx, name, def) : (def ?? 0));
  return withoutZeros({
    httpGet: { path: '/healthz/ready', port },
    initialDelaySeconds: pick(A.readinessInitialDelay, p.readinessInitialDelaySeconds),
    periodSeconds: pick(A.readinessPeriod, p.readinessPeriodSeconds),
    timeoutSeconds: 3,
    failureThreshold: pick(A.readinessFailureThreshold, p.readinessFailureThreshold),
  });
}

// Zero-valued probe integers are dropped, as a Kubernetes object carries them.
function withoutZeros(p: V1Probe): V1Probe {
  for (const k of ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold'] as const) {
    if (!p[k]) delete p[k];
  }
  return p;
}

export function sidecarProxyContainer(ctx: TemplateContext): V1Container {
  const g = ctx.values.global;
  const p = g.proxy;
  const c: V1Container = {
    name: PROXY_CONTAINER,
    image: containerImage(ann(ctx, A.proxyImage, p.image), ctx.proxyImage),
  };
  if (ctx.native) c.restartPolicy = 'Always';
  c.ports = [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }];
  c.args = proxyArgs(ctx, 'sidecar');
  const lifecycle = proxyLifecycle(ctx);
  if (lifecycle) c.lifecycle = lifecycle;
  c.env = proxyEnv(ctx, 'sidecar');
  if (g.imagePullPolicy) c.imagePullPolicy = g.imagePullPolicy;
  if (ctx.statusPort !== '0') {
    if (p.startupProbe?.enabled) {
      c.startupProbe = withoutZeros({
        httpGet: { path: '/healthz/ready', port: 15021 },
        initialDelaySeconds: 0,
        periodSeconds: 1,
        timeoutSeconds: 3,
        failureThreshold: Number(p.startupProbe.failureThreshold ?? 0),
      });
    }
    c.readinessProbe = readinessProbe(ctx, 15021, true);
  }
  c.securityContext = proxySecurityContext(ctx);
  c.resources = proxyResources(ctx);
  c.volumeMounts = proxyVolumeMounts(ctx, 'sidecar');
  return c;
}

function proxyLifecycle(ctx: TemplateContext): V1Lifecycle | undefined {
  const configured = ctx.values.global.proxy.lifecycle;
  if (configured && Object.keys(configured).length) return structuredClone(configured) as V1Lifecycle;
  if (holdApplication(ctx) && !ctx.native) {
    return { postStart: { exec: { command: ['pilot-agent', 'wait'] } } };
  }
  if (ctx.native) {
    // Drain on pod shutdown; the agent gets SIGTERM once the app containers are gone.
    return {
      preStop: {
        exec: { command: ['pilot-agent', 'request', `--debug-port=${ctx.statusPort}`, 'POST', 'drain'] },
      },
    };
  }
  return undefined;
}

function proxySecurityContext(ctx: TemplateContext): V1SecurityContext {
  const p = ctx.values.global.proxy;
  const privileged = p.privileged === true;
  let sc: V1SecurityContext;
  if (ctx.proxyConfig.proxyMetadata?.IPTABLES_TRACE_LOGGING === 'true') {
    sc = {
      allowPrivilegeEscalation: true,
      capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
      privileged: true,
      readOnlyRootFilesystem: true,
      runAsGroup: ctx.proxyGID ?? 1337,
      runAsNonRoot: false,
      runAsUser: 0,
    };
  } else {
    const bind = ann(ctx, A.capNetBindService, p.capNetBindService) === 'true';
    const add: string[] = [];
    if (ctx.tproxy) add.push('NET_ADMIN');
    if (bind) add.push('NET_BIND_SERVICE');
    sc = {
      allowPrivilegeEscalation: privileged,
      capabilities: add.length ? { add, drop: ['ALL'] } : { drop: ['ALL'] },
      privileged,
      readOnlyRootFilesystem: true,
    };
    if (ctx.tproxy || bind) {
      sc.runAsNonRoot = false;
      sc.runAsUser = 0;
      sc.runAsGroup = 1337;
    } else {
      sc.runAsNonRoot = true;
      sc.runAsUser = ctx.proxyUID ?? 1337;
      sc.runAsGroup = ctx.proxyGID ?? 1337;
    }
  }
  if (p.seccompProfile && Object.keys(p.seccompProfile).length) {
    sc.seccompProfile = structuredClone(p.seccompProfile) as unknown as V1SeccompProfile;
  }
  return sc;
}
