// Render time of one IstioOperator through its release's charts, as the operator pays it: cold (a fresh
// render cache, so helm runs for every component) and cached (the same spec and release again). Runs in
// the bench process with the operator's own render function, before the control plane starts.
import type { KubernetesObject } from '@kubernetes/client-node';
import { round } from '../common/stats';
import { benchRender, type BenchReleases } from './releases';

export interface RenderTiming {
  version: string;
  profile: string;
  objects: number;
  coldMs: number;
  cachedMs: number;
}

/** The versions and profiles timed: the two reference releases, the profiles the demo and samples use. */
export const RENDER_CASES: readonly { version: string; profile: string }[] = [
  { version: '1.30.3', profile: 'default' },
  { version: '1.30.3', profile: 'minimal' },
  { version: '1.30.3', profile: 'demo' },
  { version: '1.31.0-rc.0', profile: 'default' },
  { version: '1.31.0-rc.0', profile: 'ambient' },
];

function iop(c: { version: string; profile: string }): KubernetesObject {
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: `render-${c.profile}`, namespace: 'istio-system' },
    spec: { profile: c.profile, tag: c.version },
  } as KubernetesObject;
}

export async function measureRenderTimes(
  releases: BenchReleases,
  cases: readonly { version: string; profile: string }[] = RENDER_CASES,
): Promise<RenderTiming[]> {
  const out: RenderTiming[] = [];
  for (const c of cases) {
    // A render function per case: its cache starts empty, so the first call runs helm.
    const render = benchRender(releases);
    const t0 = process.hrtime.bigint();
    const first = await render(iop(c));
    const t1 = process.hrtime.bigint();
    const second = await render(iop(c));
    const t2 = process.hrtime.bigint();
    if (!first.ok) throw new Error(`render of ${c.profile} ${c.version} failed: ${first.message}`);
    if (!second.ok) throw new Error(`cached render of ${c.profile} ${c.version} failed: ${second.message}`);
    out.push({
      ...c,
      objects: first.desired.components.reduce((n, k) => n + k.objects.length, 0),
      coldMs: round(Number(t1 - t0) / 1e6),
      cachedMs: round(Number(t2 - t1) / 1e6),
    });
  }
  return out;
}
