// Where the operator bench gets Istio releases and helm: the reference releases next to the repository
// (../shared/reference, or BENCH_RELEASES_DIR) and the pinned helm (hack/build-helm.sh, or MESHWRIGHT_HELM),
// both for the operator child process (as flags) and for the bench's own chart render of filler pods.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chartControllerRender } from '../../operator/render/charts/controller-render';
import type { RenderFn } from '../../operator/controller/reconcile/desired';
import { RenderCache } from '../../operator/render/charts/render-cache';
import { HelmProcessRenderer } from '../../operator/render/helm/helm-process';
import { ReleasesDirProvider } from '../../release/local';

/** The version rendered for an IstioOperator that names none (the operator's own default). */
export const BENCH_ISTIO_VERSION = '1.30.3';

export interface BenchReleases {
  readonly releasesDir: string;
  readonly helm: string;
}

export function benchReleases(root: string): BenchReleases {
  const releasesDir = process.env.BENCH_RELEASES_DIR ?? join(root, '..', 'shared', 'reference');
  if (!existsSync(join(releasesDir, `istio-${BENCH_ISTIO_VERSION}`, 'manifests')))
    throw new Error(`no Istio ${BENCH_ISTIO_VERSION} release under ${releasesDir} (set BENCH_RELEASES_DIR)`);
  const helm =
    process.env.MESHWRIGHT_HELM ??
    execFileSync('bash', [join(root, 'hack', 'build-helm.sh')], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
  return { releasesDir, helm };
}

/** `meshwright operator` flags for these releases. */
export function operatorReleaseFlags(r: BenchReleases): string[] {
  return [
    `--releases-dir=${r.releasesDir}`,
    `--helm=${r.helm}`,
    `--default-istio-version=${BENCH_ISTIO_VERSION}`,
  ];
}

/** The operator's render over these releases, in the bench process. */
export function benchRender(r: BenchReleases): RenderFn {
  return chartControllerRender({
    releases: new ReleasesDirProvider(r.releasesDir),
    cache: new RenderCache(new HelmProcessRenderer({ binary: r.helm })),
    defaultVersion: BENCH_ISTIO_VERSION,
  });
}
