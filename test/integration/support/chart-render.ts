// The operator's one renderer for integration tests: the release's own charts from ../shared/reference
// (1.30.3 and 1.31.0-rc.0) through the pinned helm, in process (chartControllerRender) or, for tests that
// spawn `meshwright operator`, as the environment that points the binary at the same releases.
import type { KubernetesObject } from '@kubernetes/client-node';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { chartControllerRender } from '../../../operator/render/charts/controller-render';
import type { RenderFn } from '../../../operator/controller/reconcile/desired';
import { RenderCache } from '../../../operator/render/charts/render-cache';
import { HelmProcessRenderer } from '../../../operator/render/helm/helm-process';
import { ReleasesDirProvider } from '../../../release/local';
import { helm, REFERENCE } from '../../unit/operator/charts/parity-helpers';

/** The operator's default version in tests: a release ../shared/reference holds. */
export const TEST_ISTIO_VERSION = '1.30.3';

/** The reference releases (a releases-dir layout). */
export const REFERENCE_RELEASES = REFERENCE;

/** The pinned helm (built by hack/build-helm.sh; a test that cannot have it fails). */
export const helmBinary = (): string => helm();

/** An in-process chart render over `releasesDir` (default: the reference releases). */
export function chartRender(o: { releasesDir?: string; defaultVersion?: string } = {}): RenderFn {
  return chartControllerRender({
    releases: new ReleasesDirProvider(o.releasesDir ?? REFERENCE),
    cache: new RenderCache(new HelmProcessRenderer({ binary: helm() })),
    defaultVersion: o.defaultVersion ?? TEST_ISTIO_VERSION,
  });
}

/**
 * A releases dir holding a copy of one reference release whose base chart installs `crds` instead of
 * Istio's CRDs (none when empty): the Base component of a test then owns cluster-scoped CRDs of its own, so it can create,
 * repair and delete them without touching the shared Istio CRDs other test files use concurrently.
 */
export function releasesWithCrds(crds: readonly KubernetesObject[], version = TEST_ISTIO_VERSION): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-releases-'));
  const manifests = join(dir, `istio-${version}`, 'manifests');
  cpSync(join(REFERENCE, `istio-${version}`, 'manifests'), manifests, { recursive: true });
  const base = join(manifests, 'charts', 'base');
  // The chart splits this file on "\n---\n" and templates each document; with none, its CRD template
  // goes (an empty document has no metadata.name for it to read).
  writeFileSync(
    join(base, 'files', 'crd-all.gen.yaml'),
    crds.map((c) => stringify(c).trimEnd()).join('\n---\n') + '\n',
  );
  if (crds.length === 0)
    writeFileSync(join(base, 'templates', 'crds.yaml'), '# no CRDs in this test release\n');
  return dir;
}

/** The CRDs a reference release's base chart installs (as its file ships them). */
export function releaseCrds(version = TEST_ISTIO_VERSION): KubernetesObject[] {
  const file = join(
    REFERENCE,
    `istio-${version}`,
    'manifests',
    'charts',
    'base',
    'files',
    'crd-all.gen.yaml',
  );
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o?.kind === 'CustomResourceDefinition');
}

/** Environment for a spawned `meshwright operator`: the reference releases, the pinned helm, no downloads. */
export function operatorReleaseEnv(releasesDir = REFERENCE): NodeJS.ProcessEnv {
  return { MESHWRIGHT_RELEASES_DIR: releasesDir, MESHWRIGHT_HELM: helm() };
}
