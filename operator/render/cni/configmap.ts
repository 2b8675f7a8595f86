// `istio-cni-config`: the node agent's settings as environment (envFrom), incl. pod repair and ambient switches.
import { stringify } from 'yaml';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { RenderContext } from '../context';
import type { ManifestObject } from '../types';
import { CNI_NAME, type CniChartValues } from './values';

export function cniConfigMap(
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
