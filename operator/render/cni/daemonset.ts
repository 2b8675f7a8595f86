// `istio-cni-node`: the privileged install-cni DaemonSet writing the CNI plugin into the host's directories.
import type { V1DaemonSet, V1EnvVar, V1PodSpec } from '@kubernetes/client-node';
import type { RenderContext } from '../context';
import { imageRef } from '../images';
import { appLabels, operatorLabels } from '../labels';
import type { ManifestObject } from '../types';
import { CNI_NAME, type CniChartValues } from './values';

export function cniDaemonSet(
  ctx: RenderContext,
  c: CniChartValues,
  namespace: string,
  labels: Record<string, string>,
): ManifestObject & V1DaemonSet {
  const g = ctx.values.global;
  const fieldEnv = (name: string, fieldPath: string, apiVersion = false): V1EnvVar => ({
    name,
    valueFrom: { fieldRef: apiVersion ? { apiVersion: 'v1', fieldPath } : { fieldPath } },
  });
  const resourceEnv = (name: string, resource: string): V1EnvVar => ({
    name,
    valueFrom: { resourceFieldRef: { resource, divisor: '1' } },
  });
  const podSpec: V1PodSpec = {
    nodeSelector: { 'kubernetes.io/os': 'linux', ...(c.nodeSelector ?? {}) },
    tolerations: c.tolerations,
    priorityClassName: 'system-node-critical',
    serviceAccountName: CNI_NAME,
    terminationGracePeriodSeconds: c.terminationGracePeriodSeconds,
    containers: [
      {
        name: 'install-cni',
        image: imageRef({ name: c.image, hub: c.hub, tag: c.tag, variant: c.variant }, g, 'install-cni'),
        ports: [{ containerPort: 15014, name: 'metrics', protocol: 'TCP' }],
        readinessProbe: { httpGet: { path: '/readyz', port: 8000 } },
        args: [`--log_output_level=${c.logging.level || 'info'}`, ...(g.logAsJson ? ['--log_as_json'] : [])],
        command: ['install-cni'],
        envFrom: [{ configMapRef: { name: `${CNI_NAME}-config` } }],
        env: [
          fieldEnv('REPAIR_NODE_NAME', 'spec.nodeName'),
          { name: 'REPAIR_RUN_AS_DAEMON', value: 'true' },
          { name: 'REPAIR_SIDECAR_ANNOTATION', value: 'sidecar.istio.io/status' },
          { name: 'ALLOW_SWITCH_TO_HOST_NS', value: 'true' },
          fieldEnv('NODE_NAME', 'spec.nodeName', true),
          resourceEnv('GOMEMLIMIT', 'limits.memory'),
          resourceEnv('GOMAXPROCS', 'limits.cpu'),
          fieldEnv('POD_NAME', 'metadata.name'),
          fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
        ],
        resources: c.resources,
        // Root with network and ptrace capabilities: it writes host CNI config and enters pod netns.
        securityContext: {
          privileged: false,
          runAsGroup: 0,
          runAsUser: 0,
          runAsNonRoot: false,
          capabilities: {
            drop: ['ALL'],
            add: ['NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'SYS_ADMIN', 'DAC_OVERRIDE'],
          },
        },
        volumeMounts: [
          { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
          { mountPath: '/host/proc', name: 'cni-host-procfs', readOnly: true },
          { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
          { mountPath: '/var/run/istio-cni', name: 'cni-socket-dir' },
        ],
      },
    ],
    volumes: [
      { name: 'cni-bin-dir', hostPath: { path: c.cniBinDir } },
      { name: 'cni-host-procfs', hostPath: { path: '/proc', type: 'Directory' } },
      { name: 'cni-net-dir', hostPath: { path: c.cniConfDir } },
      { name: 'cni-socket-dir', hostPath: { path: '/var/run/istio-cni' } },
      { name: 'cni-netns-dir', hostPath: { path: c.cniNetnsDir, type: 'DirectoryOrCreate' } },
    ],
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: `${CNI_NAME}-node`, namespace, labels: { 'k8s-app': `${CNI_NAME}-node`, ...labels } },
    spec: {
      selector: { matchLabels: { 'k8s-app': `${CNI_NAME}-node` } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: {
          labels: {
            'k8s-app': `${CNI_NAME}-node`,
            'sidecar.istio.io/inject': 'false',
            'istio.io/dataplane-mode': 'none',
            ...appLabels(CNI_NAME),
            ...operatorLabels(ctx, 'Cni'),
            ...c.podLabels,
          },
          annotations: {
            'sidecar.istio.io/inject': 'false',
            'prometheus.io/port': '15014',
            'prometheus.io/scrape': 'true',
            'prometheus.io/path': '/metrics',
            'container.apparmor.security.beta.kubernetes.io/install-cni': 'unconfined',
            ...c.podAnnotations,
          },
        },
        spec: podSpec,
      },
    },
  };
}
