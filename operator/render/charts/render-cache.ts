// Renders memoized by (IstioOperator inputs + options, release digest): a reconcile of an unchanged
// IstioOperator against the same release spawns no helm. Bounded (least recently used goes first); a
// failed render is not kept, so a transient helm failure is retried next time.
import { createHash } from 'node:crypto';
import type { PlainObject } from '../../../lib/istio/merge';
import { stableJson } from '../../../lib/stable-json';
import type { Release } from '../../../release/types';
import type { ChartRenderer } from '../helm/chart-renderer';
import { render, type ChartRenderOptions } from './render';
import type { ChartManifest } from './types';

export function renderKey(
  iops: readonly PlainObject[],
  release: Release,
  options: ChartRenderOptions,
): string {
  const { signal: _signal, ...rest } = options;
  void _signal;
  const spec = createHash('sha256')
    .update(stableJson({ iops, options: rest }))
    .digest('hex');
  return `${spec}@${release.digest}`;
}

export class RenderCache {
  private readonly entries = new Map<string, Promise<ChartManifest>>();

  constructor(
    private readonly charts: ChartRenderer,
    private readonly maxEntries = 32,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  render(
    iops: PlainObject | readonly PlainObject[],
    release: Release,
    options: ChartRenderOptions = {},
  ): Promise<ChartManifest> {
    const docs = Array.isArray(iops) ? (iops as readonly PlainObject[]) : [iops as PlainObject];
    const key = renderKey(docs, release, options);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const p = render(docs, release, this.charts, options);
    this.entries.set(key, p);
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return p;
  }
}
