// The Istio CNI node agent: a privileged DaemonSet (install-cni) that installs the CNI plugin into the
// host's CNI directories and repairs pods, plus its ConfigMap, ServiceAccount and cluster roles. With CNI
// on, pods get the unprivileged istio-validation init container instead of istio-init (see values.ts).
import { stringify } from 'yaml';
import type {
  V1ConfigMap,
  V1DaemonSet,
  V1EnvVar,
  V1PodSpec,
  V1ResourceRequirements,
  V1Toleration,
} from '@kubernetes/client-node';
import { deepMerge, isPlainObject, type PlainObject } from '../../lib/istio/merge';
import type { RenderContext } from './context';
import { imageRef } from './images';
import { appLabels, operatorLabels } from './labels';
import { clusterRole, clusterRoleBinding, rule, serviceAccount } from './rbac';
import type { ManifestObject } from './types';

export const CNI_NAME = 'istio-cni';

/** Values of the istio-cni chart Meshwright reads, with its defaults. */
export interface CniChartValues {
  hub: string;
  tag: string | number;
  variant: string;
  image: string;
  logging: { level?: string };
  cniBinDir: string;
  cniConfDir: string;
  cniConfFileName: string;
  cniNetnsDir: string;
  excludeNamespaces: string[];
  chained: boolean;
  provider: string;
  podAnnotations: Record<string, string>;
  podLabels: Record<string, string>;
  ambient: {
    enabled: boolean;
    dnsCapture: boolean;
    ipv6: boolean;
    reconcileIptablesOnStartup: boolean;
    enableAmbientDetectionRetry: boolean;
    enablementSelectors: unknown[];
  };
  repair: {
    enabled: boolean;
    labelPods: boolean;
    deletePods: boolean;
    repairPods: boolean;
    initContainerName: string;
    brokenPodLabelKey: string;
    brokenPodLabelValue: string;
  };
  resources: V1ResourceRequirements;
  tolerations: V1Toleration[];
  nodeSelector?: Record<string, string>;
  terminationGracePeriodSeconds: number;
  env: Record<string, unknown>;
  istioOwnedCNIConfig: boolean;
  istioOwnedCNIConfigFileName: string;
}

function cniDefaults(): CniChartValues {
  return {
    hub: '',
    tag: '',
    variant: '',
    image: 'install-cni',
    logging: { level: '' },
    cniBinDir: '/opt/cni/bin',
    cniConfDir: '/etc/cni/net.d',
    cniConfFileName: '',
    cniNetnsDir: '/var/run/netns',
    excludeNamespaces: ['kube-system'],
    chained: true,
    provider: 'default',
    podAnnotations: {},
    podLabels: {},
    ambient: {
      enabled: false,
      dnsCapture: true,
      ipv6: true,
      reconcileIptablesOnStartup: true,
      enableAmbientDetectionRetry: false,
      enablementSelectors: [
        { podSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } } },
        {
          podSelector: {
            matchExpressions: [{ key: 'istio.io/dataplane-mode', operator: 'NotIn', values: ['none'] }],
          },
          namespaceSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } },
        },
      ],
    },
    repair: {
      enabled: true,
      labelPods: false,
      deletePods: false,
      repairPods: true,
      initContainerName: 'istio-validation',
      brokenPodLabelKey: 'cni.istio.io/uninitialized',
      brokenPodLabelValue: 'true',
    },
    resources: { requests: { cpu: '100m', memory: '100Mi' } },
    // The node agent must run on every node, whatever its taints.
    tolerations: [
      { effect: 'NoSchedule', operator: 'Exists' },
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
      { effect: 'NoExecute', operator: 'Exists' },
    ],
    terminationGracePeriodSeconds: 30,
    env: {},
    istioOwnedCNIConfig: false,
    istioOwnedCNIConfigFileName: '',
  };
}

export function cniValues(ctx: RenderContext): CniChartValues {
  let v = cniDefaults() as unknown as PlainObject;
  if (isPlainObject(ctx.values.cni)) v = deepMerge(v, ctx.values.cni);
  const out = v as unknown as CniChartValues;
  const comp = ctx.spec.components?.cni;
  if (comp?.hub) out.hub = comp.hub;
  if (comp?.tag !== undefined && comp.tag !== '') out.tag = String(comp.tag);
  return out;
}

function configMap(
  ctx: RenderContext,
  c: CniChartValues,
  namespace: string,
  labels: Record<string, string>,
): ManifestObject & V1ConfigMap {
  const data: Record<string, string> = {
    CURRENT_AGENT_VERSION: String(c.tag || ctx.values.global.tag || ''),
    AMBIENT_ENABLED: String(c.ambient.enabled),
    AMBIENT_ENABLEMENT_SELECTOR: stringify(c.ambient.enablementSelectors).trimEnd(),
    AMBIENT_DNS_CAPTURE: String(c.ambient.dnsCapture),
    AMBIENT_IPV6: String(c.ambient.ipv6),
    AMBIENT_RECONCILE_POD_RULES_ON_STARTUP: String(c.ambient.reconcileIptablesOnStartup),
    ENABLE_AMBIENT_DETECTION_RETRY: String(c.ambient.enableAmbientDetectionRetry),
    ISTIO_OWNED_CNI_CONFIG: String(c.istioOwnedCNIConfig),
    CHAINED_CNI_PLUGIN: String(c.chained),
    EXCLUDE_NAMESPACES: c.excludeNamespaces.join(','),
    REPAIR_ENABLED: String(c.repair.enabled),
    REPAIR_LABEL_PODS: String(c.repair.labelPods),
    REPAIR_DELETE_PODS: String(c.repair.deletePods),
    REPAIR_REPAIR_PODS: String(c.repair.repairPods),
    REPAIR_INIT_CONTAINER_NAME: c.repair.initContainerName,
    REPAIR_BROKEN_POD_LABEL_KEY: c.repair.brokenPodLabelKey,
    REPAIR_BROKEN_POD_LABEL_VALUE: c.repair.brokenPodLabelValue,
    NATIVE_NFTABLES: String(ctx.values.global.nativeNftables ?? false),
  };
  if (c.cniConfFileName) data.CNI_CONF_NAME = c.cniConfFileName;
  if (c.istioOwnedCNIConfig) data.ISTIO_OWNED_CNI_CONF_FILENAME = c.istioOwnedCNIConfigFileName;
  for (const [k, v] of Object.entries(c.env)) data[k] = String(v);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${CNI_NAME}-config`, namespace, labels },
    data,
  };
}

function daemonSet(
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

export function renderCni(ctx: RenderContext, namespace: string): ManifestObject[] {
  const c = cniValues(ctx);
  const labels = { app: CNI_NAME, ...appLabels(CNI_NAME), ...operatorLabels(ctx, 'Cni') };
  const sa = { name: CNI_NAME, namespace };
  const objects: ManifestObject[] = [
    serviceAccount(CNI_NAME, namespace, labels, ctx.values.global.imagePullSecrets ?? []),
    clusterRole(CNI_NAME, labels, [rule([''], ['pods', 'nodes', 'namespaces'], ['get', 'list', 'watch'])]),
    clusterRoleBinding(CNI_NAME, labels, CNI_NAME, sa),
  ];
  if (c.repair.enabled) {
    const repairRules = [
      rule([''], ['events'], ['create', 'patch']),
      rule([''], ['pods'], ['watch', 'get', 'list']),
    ];
    // Repair needs the least privilege its mode requires: repairing in place needs none extra.
    if (!c.repair.repairPods && c.repair.deletePods) repairRules.push(rule([''], ['pods'], ['delete']));
    else if (!c.repair.repairPods && c.repair.labelPods)
      repairRules.push(rule([''], ['pods/status'], ['patch', 'update']));
    objects.push(clusterRole(`${CNI_NAME}-repair-role`, labels, repairRules));
    objects.push(clusterRoleBinding(`${CNI_NAME}-repair-rolebinding`, labels, `${CNI_NAME}-repair-role`, sa));
  }
  objects.push(configMap(ctx, c, namespace, labels), daemonSet(ctx, c, namespace, labels));
  return objects;
}
