// The Istio CNI node agent: a privileged DaemonSet (install-cni) that installs the CNI plugin into the
// host's CNI directories and repairs pods, plus its ConfigMap, ServiceAccount and cluster roles. With CNI
// on, pods get the unprivileged istio-validation init container instead of istio-init (see ../values.ts).
import type { RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import { clusterRole, clusterRoleBinding, rule, serviceAccount } from '../rbac';
import type { ManifestObject } from '../types';
import { cniConfigMap } from './configmap';
import { cniDaemonSet } from './daemonset';
import { CNI_NAME, cniValues } from './values';

export { CNI_NAME } from './values';

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
  objects.push(cniConfigMap(ctx, c, namespace, labels), cniDaemonSet(ctx, c, namespace, labels));
  return objects;
}
