// `meshwright manifest generate` through the release's charts and the pinned helm: files, --set, --revision
// and the release choice (--manifests, --releases-dir, the spec's tag, --istio-version) in; the objects
// Meshwright installs out, in the operator's apply order (or istioctl's with --order=istioctl); a non-zero exit with the reason on invalid input.
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { generate } from '../../../cli/manifest';
import { createReleaseProvider, releaseOptionsFrom, type ReleaseFlags } from '../../../release/index';
import { run } from '../../../cli/main';
import { goldenDir, helm, REFERENCE, referenceRelease } from './charts/parity-helpers';

jest.setTimeout(180_000);

const missing = join(REFERENCE, 'no-such-dir');
// An offline source with an empty cache: nothing is ever downloaded by these tests.
const cache = mkdtempSync(join(tmpdir(), 'mw-manifest-cache-'));
const source = (f: ReleaseFlags) =>
  createReleaseProvider(releaseOptionsFrom({ ...f, cacheDir: cache, official: false }, {}));
const INPUT = join(goldenDir('1.30.3'), 'input');

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return { code: await run(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const kindsAndNames = (yaml: string): string[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as { kind: string; metadata: { name: string } } | null)
    .filter((o) => o !== null)
    .map((o) => `${o.kind}/${o.metadata.name}`);

const tmpFile = (body: string): string => {
  const f = join(mkdtempSync(join(tmpdir(), 'mw-iop-')), 'iop.yaml');
  writeFileSync(f, iop('iop.yaml', body).text);
  return f;
};

const iop = (name: string, body: string) => ({
  name,
  text: `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n${body}`,
});

describe('generate', () => {
  it("merges files in order, applies --set and --revision, and prints in the operator's apply order", async () => {
    const out = await generate({
      files: [
        iop('a.yaml', '  profile: minimal\n'),
        iop('b.yaml', '  values:\n    pilot:\n      autoscaleEnabled: false\n'),
      ],
      setFlags: ['values.pilot.replicaCount=2'],
      revision: 'blue',
      releases: source({ manifestsDir: referenceRelease('1.30.3').manifestsDir }),
      helm: helm(),
    });
    const ids = kindsAndNames(out.yaml);
    expect(ids[0]).toMatch(/^CustomResourceDefinition\//);
    expect(ids).toContain('Deployment/istiod-blue');
    expect(ids).toContain('PodDisruptionBudget/istiod-blue');
    expect(ids).not.toContain('HorizontalPodAutoscaler/istiod-blue');
    expect(ids).not.toContain('MutatingWebhookConfiguration/istio-sidecar-injector-blue');
    expect(ids.indexOf('ConfigMap/istio-blue')).toBeLessThan(ids.indexOf('Deployment/istiod-blue'));
    // The operator's order: a component's Service before its Deployment, webhooks after the workloads,
    // and the Base stage (CRDs, the base chart's objects) wholly before Pilot's.
    expect(ids.indexOf('Service/istiod-blue')).toBeLessThan(ids.indexOf('Deployment/istiod-blue'));
    expect(ids.indexOf('Deployment/istiod-blue')).toBeLessThan(
      ids.indexOf('ValidatingWebhookConfiguration/istio-validator-blue-istio-system'),
    );
    const lastCrd = ids.map((id) => id.startsWith('CustomResourceDefinition/')).lastIndexOf(true);
    expect(lastCrd).toBeLessThan(ids.indexOf('ServiceAccount/istiod-blue'));
    expect(out.yaml).toContain('image: docker.io/istio/pilot:1.30.3');
    expect(out.warnings).toEqual([
      "not rendered: MutatingWebhookConfiguration istio-sidecar-injector-blue (sidecar injection is served by Meshwright's webhook)",
    ]);
  });

  it("picks the release from the spec's tag in --releases-dir, or --istio-version", async () => {
    const byTag = await generate({
      files: [iop('a.yaml', '  profile: minimal\n  tag: 1.31.0-rc.0\n')],
      setFlags: [],
      releases: source({ releasesDir: REFERENCE }),
      helm: helm(),
    });
    expect(byTag.release.version).toBe('1.31.0-rc.0');
    expect(byTag.yaml).toContain('image: docker.io/istio/pilot:1.31.0-rc.0');
    const byFlag = await generate({
      files: [],
      setFlags: ['profile=minimal'],
      releases: source({ releasesDir: REFERENCE }),
      istioVersion: '1.31.0-rc.0',
      helm: helm(),
      profileImages: true,
    });
    expect(byFlag.release.version).toBe('1.31.0-rc.0');
    expect(byFlag.yaml).toContain('image: registry.istio.io/testing/pilot:latest');
    await expect(
      generate({
        files: [],
        setFlags: [],
        releases: source({ releasesDir: REFERENCE }),
        istioVersion: '1.29.0',
        helm: helm(),
      }),
    ).rejects.toThrow(
      /Istio release 1\.29\.0 from 2 sources: \(1\) releases-dir .*istio-1\.29\.0\/manifests does not exist; \(2\) cache .*not cached/,
    );
  });
});

describe('meshwright manifest generate', () => {
  it('prints the default install from --manifests', async () => {
    const r = await capture([
      'manifest',
      'generate',
      '-d',
      referenceRelease('1.30.3').manifestsDir,
      '--helm',
      helm(),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# Istio 1\.30\.3 \(dir /);
    expect(kindsAndNames(r.out)).toEqual(
      expect.arrayContaining(['Deployment/istiod', 'Service/istio-ingressgateway', 'ConfigMap/values']),
    );
  });

  it('prints the same objects in istioctl order with --order=istioctl', async () => {
    const base = ['manifest', 'generate', '-d', referenceRelease('1.30.3').manifestsDir, '--helm', helm()];
    const install = kindsAndNames((await capture(base)).out);
    const istioctl = await capture([...base, '--order', 'istioctl']);
    expect(istioctl.code).toBe(0);
    const ids = kindsAndNames(istioctl.out);
    expect([...ids].sort()).toEqual([...install].sort());
    expect(ids).not.toEqual(install);
    // istioctl prints workloads before their Services.
    expect(ids.indexOf('Deployment/istiod')).toBeLessThan(ids.indexOf('Service/istiod'));
    expect(install.indexOf('Service/istiod')).toBeLessThan(install.indexOf('Deployment/istiod'));
    const bad = await capture([...base, '--order', 'random']);
    expect([bad.code, bad.err]).toEqual([
      2,
      expect.stringMatching(/--order must be install or istioctl, got "random"/),
    ]);
  });

  it('exits 1 with the field named for invalid input', async () => {
    const base = ['manifest', 'generate', '--releases-dir', REFERENCE, '--helm', helm()];
    const bad = await capture([...base, '-f', join(INPUT, 'invalid-k8s-values.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/spec\.values\.global\.defaultTolerations\[0\]: unknown field "thats"/);
    const multi = await capture([...base, '-f', join(INPUT, 'multiple_iops.yaml')]);
    expect(multi.code).toBe(1);
    expect(multi.err).toMatch(/contains multiple IstioOperator CRs, only one per file is supported/);
    const rev = await capture([...base, '--revision', 'Not_Valid']);
    expect(rev.err).toMatch(/spec\.revision: "Not_Valid" is not a DNS-1123 label/);
    const profile = await capture([...base, '--set', 'profile=nope']);
    expect(profile.code).toBe(1);
    expect(profile.err).toMatch(/spec\.profile: profile "nope" not found/);
  });

  it('exits 2 on usage errors', async () => {
    expect((await capture(['manifest', 'generate', '--nope'])).code).toBe(2);
    expect((await capture(['manifest', 'generate', '-f', join(missing, 'absent.yaml')])).code).toBe(2);
    const both = await capture(['manifest', 'generate', '-d', missing, '--releases-dir', REFERENCE]);
    expect([both.code, both.err]).toEqual([2, expect.stringMatching(/exclude each other/)]);
    const badMirror = await capture([
      'manifest',
      'generate',
      '--release-mirror',
      'ftp://x',
      '--helm',
      helm(),
    ]);
    expect([badMirror.code, badMirror.err]).toEqual([2, expect.stringMatching(/--release-mirror/)]);
  });

  it('renders the release named by the tag from MESHWRIGHT_RELEASES_DIR', async () => {
    const saved = process.env.MESHWRIGHT_RELEASES_DIR;
    process.env.MESHWRIGHT_RELEASES_DIR = REFERENCE;
    try {
      const r = await capture([
        'manifest',
        'generate',
        '-f',
        join(tmpFile('  profile: minimal\n  tag: 1.31.0-rc.0\n')),
        '--release-offline',
        '--release-cache',
        cache,
        '--helm',
        helm(),
      ]);
      expect(r.err).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^# Istio 1\.31\.0-rc\.0 \(releases-dir /);
      expect(r.out).toContain('image: docker.io/istio/pilot:1.31.0-rc.0');
    } finally {
      if (saved === undefined) delete process.env.MESHWRIGHT_RELEASES_DIR;
      else process.env.MESHWRIGHT_RELEASES_DIR = saved;
    }
  });
});
