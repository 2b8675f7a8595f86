// What a real Istio 1.31 install gives istiod to read, installed into a cluster for tests and the bench:
// Istio's CRDs (the release's base chart), the Gateway API CRDs (the version istio's go.mod requires, from
// the Go module cache) and the `istio` and `istio-sidecar-injector` ConfigMaps rendered from the release's
// own istio-discovery chart by the pinned Helm. All read at run time; nothing upstream is committed.
// One small function installs it (installIstiodInputs), so it can later be replaced by the operator.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  PatchStrategy,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/** The release whose manifests the tests install (1.31.0's own tree is not at hand; rc.0 is the newest). */
export const ISTIO_MANIFESTS_VERSION = '1.31.0-rc.0';
const FIELD_MANAGER = 'meshwright-test-istiod';

export const repoRoot = (): string => join(__dirname, '..', '..', '..');

export function releaseManifests(root = repoRoot()): string {
  return join(root, '..', 'shared', 'reference', `istio-${ISTIO_MANIFESTS_VERSION}`, 'manifests');
}

/** The pinned Helm (hack/build-helm.sh builds it once and prints its path). */
export function helmBinary(root = repoRoot()): string {
  return execFileSync('bash', [join(root, 'hack', 'build-helm.sh')], { encoding: 'utf8' }).trim();
}

export interface IstiodConfigMaps {
  mesh: V1ConfigMap;
  injector: V1ConfigMap;
}

/** `helm template` of istio-discovery with its defaults; the two ConfigMaps istiod and the injector read. */
export function renderIstiodConfigMaps(namespace: string, root = repoRoot()): IstiodConfigMaps {
  const chart = join(releaseManifests(root), 'charts', 'istio-control', 'istio-discovery');
  const out = execFileSync(helmBinary(root), ['template', 'istiod', chart, '--namespace', namespace], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  // Helm's output has empty documents, which loadAllYaml cannot take; ConfigMaps need no typed models.
  const cms = parseAllDocuments(out)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is V1ConfigMap => o?.kind === 'ConfigMap');
  const named = (name: string): V1ConfigMap => {
    const cm = cms.find((c) => c.metadata?.name === name);
    if (!cm) throw new Error(`helm template of ${chart} rendered no ConfigMap ${name}`);
    return { ...cm, metadata: { ...cm.metadata, namespace } };
  };
  return { mesh: named('istio'), injector: named('istio-sidecar-injector') };
}

/** Istio's CRDs as the release's base chart ships them (loadAllYaml keeps `x-kubernetes-*` keys). */
export function istioCrds(root = repoRoot()): KubernetesObject[] {
  const file = join(releaseManifests(root), 'charts', 'base', 'files', 'crd-all.gen.yaml');
  return (loadAllYaml(readFileSync(file, 'utf8')) as (KubernetesObject | null)[]).filter(
    (o): o is KubernetesObject => o?.kind === 'CustomResourceDefinition',
  );
}

/**
 * The standard-channel Gateway API CRDs at the version istio's go.mod requires: `go mod download -json` in
 * the istiod wrapper module resolves it from that module's build list and gives the extracted directory.
 */
export function gatewayApiCrds(root = repoRoot()): KubernetesObject[] {
  const out = execFileSync('go', ['mod', 'download', '-json', 'sigs.k8s.io/gateway-api'], {
    cwd: join(root, 'hack', 'istiod'),
    encoding: 'utf8',
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/local/go/bin`, GOFLAGS: '-mod=mod' },
  });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download sigs.k8s.io/gateway-api: ${info.Error ?? 'no Dir'}`);
  const dir = join(info.Dir, 'config', 'crd', 'standard');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => loadAllYaml(readFileSync(join(dir, f), 'utf8')) as (KubernetesObject | null)[])
    .filter((o): o is KubernetesObject => o?.kind === 'CustomResourceDefinition');
}

async function waitEstablished(kc: KubeConfig, names: string[], timeoutMs: number): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await ext.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Applies CRDs server-side and waits until each is Established. */
export async function applyCrds(kc: KubeConfig, crds: KubernetesObject[]): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  for (const crd of crds)
    await objects.patch(crd, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  await waitEstablished(
    kc,
    crds.map((c) => c.metadata?.name ?? ''),
    60_000,
  );
}

/** Installs everything istiod reads into `namespace` (created if absent); returns the ConfigMaps. */
export async function installIstiodInputs(
  kc: KubeConfig,
  namespace: string,
  root = repoRoot(),
): Promise<IstiodConfigMaps> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const apply = (o: KubernetesObject) =>
    objects.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  await applyCrds(kc, [...istioCrds(root), ...gatewayApiCrds(root)]);
  const core = kc.makeApiClient(CoreV1Api);
  // Other suites may create the namespace at the same time: AlreadyExists is fine.
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch((err: unknown) => {
    if ((err as { code?: number }).code !== 409) throw err;
  });
  const cms = renderIstiodConfigMaps(namespace, root);
  await apply(cms.mesh);
  await apply(cms.injector);
  return cms;
}
