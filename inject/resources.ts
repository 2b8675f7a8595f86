// Compute resources of istio's containers: the sidecar.istio.io/proxy{CPU,Memory}[Limit] annotations
// when any is set, else global.proxy.resources (null entries dropped). Quantities are canonical.
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import { A } from './annotations';
import type { TemplateContext } from './context';
import { canonicalQuantity } from './quantity';

export function proxyResources(ctx: TemplateContext): V1ResourceRequirements {
  const a = ctx.annotations;
  const cpu = a[A.proxyCPU];
  const mem = a[A.proxyMemory];
  const cpuLimit = a[A.proxyCPULimit];
  const memLimit = a[A.proxyMemoryLimit];
  if (cpu !== undefined || mem !== undefined || cpuLimit !== undefined || memLimit !== undefined) {
    const r: V1ResourceRequirements = {};
    if (cpu !== undefined || mem !== undefined) {
      r.requests = {};
      if (cpu !== undefined) r.requests.cpu = canonicalQuantity(cpu);
      if (mem !== undefined) r.requests.memory = canonicalQuantity(mem);
    }
    if (cpuLimit !== undefined || memLimit !== undefined) {
      r.limits = {};
      if (cpuLimit !== undefined) r.limits.cpu = canonicalQuantity(cpuLimit);
      if (memLimit !== undefined) r.limits.memory = canonicalQuantity(memLimit);
    }
    return r;
  }
  const v = ctx.values.global.proxy.resources;
  const r: V1ResourceRequirements = {};
  if (!v) return r;
  for (const key of ['limits', 'requests'] as const) {
    const list = v[key];
    if (!list) continue;
    const out: Record<string, string> = {};
    for (const [k, q] of Object.entries(list))
      if (q !== null && q !== undefined) out[k] = canonicalQuantity(q);
    if (Object.keys(out).length) r[key] = out;
  }
  return r;
}
