// CPU quantities in Kubernetes' canonical form (`1000m` -> `1`, `0.5` -> `500m`), as istioctl 1.31 copies
// `k8s.resources` CPU into chart values with Quantity.String().
import { parseQuantity } from '../../controller/apply/quantity';

export function canonicalCpu(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const cores = parseQuantity(value);
  if (cores === undefined || cores === 0) return undefined;
  const units: [number, string][] = [
    [1, ''],
    [1e-3, 'm'],
    [1e-6, 'u'],
    [1e-9, 'n'],
  ];
  for (const [scale, suffix] of units) {
    const n = cores / scale;
    const rounded = Math.round(n);
    if (Math.abs(n - rounded) < 1e-9 * Math.max(1, Math.abs(n))) return `${rounded}${suffix}`;
  }
  return `${Math.ceil(cores / 1e-9)}n`;
}
