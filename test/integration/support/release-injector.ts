// A revision's `istio` and `istio-sidecar-injector` ConfigMaps as a given Istio release renders them: the
// release's own istio-discovery chart (../shared/reference/istio-<version>/manifests), templated by the
// pinned Helm with `revision=<rev>`. The trees there are source trees whose Chart.yaml says 1.0.0
// ("release-builder replaces it at build time"), so the chart is copied and stamped with the release's
// version first, as the release build does; Helm then writes the version labels a real install carries.
// Read at run time from ../shared; nothing upstream is committed.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { helmBinary, repoRoot } from './istiod-install';

export interface RevisionConfigMaps {
  mesh: V1ConfigMap;
  injector: V1ConfigMap;
}

export function renderRevisionConfigMaps(o: {
  version: string;
  revision: string;
  namespace: string;
  /** Extra `--set path=value` for the chart (hub and tag are set to the release's). */
  set?: string[];
}): RevisionConfigMaps {
  const root = repoRoot();
  const chart = join(root, '..', 'shared', 'reference', `istio-${o.version}`, 'manifests', 'charts');
  const tmp = mkdtempSync(join(tmpdir(), 'mw-release-chart-'));
  try {
    const dir = join(tmp, 'istio-discovery');
    cpSync(join(chart, 'istio-control', 'istio-discovery'), dir, { recursive: true });
    const meta = join(dir, 'Chart.yaml');
    const stamped = readFileSync(meta, 'utf8')
      .replace(/^version: .*$/m, `version: ${o.version}`)
      .replace(/^appVersion: .*$/m, `appVersion: ${o.version}`);
    if (!stamped.includes(`appVersion: ${o.version}`)) throw new Error(`${meta}: no appVersion to stamp`);
    writeFileSync(meta, stamped);
    const sets = [`revision=${o.revision}`, 'global.hub=docker.io/istio', `global.tag=${o.version}`];
    const args = ['template', 'istiod', dir, '--namespace', o.namespace];
    for (const s of [...sets, ...(o.set ?? [])]) args.push('--set', s);
    const out = execFileSync(helmBinary(root), args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    const cms = parseAllDocuments(out)
      .map((d) => d.toJS() as KubernetesObject | null)
      .filter((c): c is V1ConfigMap => c?.kind === 'ConfigMap');
    const named = (name: string): V1ConfigMap => {
      const cm = cms.find((c) => c.metadata?.name === name);
      if (!cm) throw new Error(`helm template of istio-discovery ${o.version} rendered no ConfigMap ${name}`);
      return { ...cm, metadata: { ...cm.metadata, namespace: o.namespace } };
    };
    return { mesh: named(`istio-${o.revision}`), injector: named(`istio-sidecar-injector-${o.revision}`) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
