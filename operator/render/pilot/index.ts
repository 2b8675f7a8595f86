// The Pilot component: istiod and everything it needs to run.
import { revisioned, type RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import { cpuMemoryMetrics, hpa, pdb, scalingPlan } from '../scaling';
import type { ManifestObject } from '../types';
import { istiodDeployment, istiodSelector } from './deployment';
import { injectorConfigMap } from './injector';
import { meshConfigMap } from './mesh';
import { istiodRbac } from './rbac';
import { istiodService } from './service';
import { validatingWebhook } from './validation-webhook';

export function renderPilot(ctx: RenderContext, namespace: string): ManifestObject[] {
  const p = ctx.values.pilot;
  const k8s = ctx.spec.components?.pilot?.k8s;
  const objects: ManifestObject[] = [
    ...istiodRbac(ctx, namespace),
    meshConfigMap(ctx, namespace),
    injectorConfigMap(ctx, namespace),
    istiodService(ctx, namespace),
    istiodDeployment(ctx, namespace),
  ];
  const name = revisioned(ctx, 'istiod');
  const labels = { app: 'istiod', istio: 'pilot', ...appLabels('istiod'), ...operatorLabels(ctx, 'Pilot') };
  const plan = scalingPlan(p, k8s, ctx.values.global.defaultPodDisruptionBudget.enabled !== false);
  if (plan.hpa) {
    const metrics = cpuMemoryMetrics(p.cpu.targetAverageUtilization, p.memory.targetAverageUtilization);
    objects.push(hpa(name, namespace, labels, plan, metrics, p.autoscaleBehavior));
  }
  if (plan.pdb) objects.push(pdb(name, namespace, labels, { app: 'istiod', ...istiodSelector(ctx) }, p.pdb));
  if (ctx.values.global.configValidation) objects.push(validatingWebhook(ctx));
  return objects;
}
