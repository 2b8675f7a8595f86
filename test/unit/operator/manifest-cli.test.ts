// `meshwright manifest generate`: files, --set and --revision in, a YAML stream in apply order out, and
// a non-zero exit with the reason on invalid input.
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { generate } from '../../../cli/manifest';
import { run } from '../../../cli/main';
import { GOLDEN, REPO } from './golden-helpers';

// Reads only: the project's CRDs and upstream's inputs; a path that does not exist for the error cases.
const missing = join(REPO, 'no-such-dir');
const CRDS = join(REPO, 'crds', 'istio');

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

const kindsAndNames = (yaml: string) =>
  parseAllDocuments(yaml).map((d) => {
    const o = d.toJS() as { kind: string; metadata: { name: string } };
    return `${o.kind}/${o.metadata.name}`;
  });

describe('generate', () => {
  it('merges files in order, applies --set and --revision, and prints in apply order', () => {
    const a = {
      name: 'a.yaml',
      text: 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n',
    };
    const b = {
      name: 'b.yaml',
      text: 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    pilot:\n      autoscaleEnabled: false\n',
    };
    const out = generate({
      files: [a, b],
      setFlags: ['values.pilot.replicaCount=2'],
      revision: 'blue',
      crdsDir: CRDS,
    });
    const ids = kindsAndNames(out.yaml);
    expect(ids[0]).toMatch(/^CustomResourceDefinition\//);
    expect(ids).toContain('Deployment/istiod-blue');
    expect(ids).toContain('PodDisruptionBudget/istiod-blue');
    expect(ids).not.toContain('HorizontalPodAutoscaler/istiod-blue');
    expect(ids.indexOf('ConfigMap/istio-blue')).toBeLessThan(ids.indexOf('Deployment/istiod-blue'));
    expect(out.warnings).toEqual([]);
  });

  it('warns when the CRD directory does not exist', () => {
    const out = generate({ files: [], setFlags: [], crdsDir: missing });
    expect(out.warnings).toEqual([expect.stringMatching(/^Base: no Istio API CRDs were given/)]);
    expect(kindsAndNames(out.yaml)).toContain('Deployment/istio-ingressgateway');
  });
});

describe('meshwright manifest generate', () => {
  it('prints the default install with no flags', async () => {
    const r = await capture(['manifest', 'generate', '--crds', CRDS]);
    expect(r.code).toBe(0);
    expect(kindsAndNames(r.out)).toEqual(
      expect.arrayContaining(['Deployment/istiod', 'Service/istio-ingressgateway']),
    );
    expect(r.err).toBe('');
  });

  it('exits non-zero with the validation message for an invalid file', async () => {
    const r = await capture(['manifest', 'generate', '-f', join(GOLDEN, 'input', 'invalid-k8s-values.yaml')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/spec\.values\.global\.defaultTolerations\[0\]\.thats: unknown toleration field/);
    const multi = await capture(['manifest', 'generate', '-f', join(GOLDEN, 'input', 'multiple_iops.yaml')]);
    expect(multi.code).toBe(1);
    expect(multi.err).toMatch(/contains 2 documents; only one IstioOperator per file is supported/);
    const rev = await capture(['manifest', 'generate', '--revision', 'Not_Valid']);
    expect(rev.code).toBe(1);
    expect(rev.err).toMatch(/spec\.revision: "Not_Valid" is not a valid revision name/);
  });

  it('exits non-zero for an unknown profile via --set and for a bad --set path', async () => {
    expect((await capture(['manifest', 'generate', '--set', 'profile=ambient'])).err).toMatch(
      /profile "ambient" is not supported by Meshwright yet/,
    );
    const r = await capture(['manifest', 'generate', '--set', 'valuse.x=1']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/unknown IstioOperator field "valuse"/);
  });

  it('exits 2 on usage errors', async () => {
    expect((await capture(['manifest', 'generate', '--nope'])).code).toBe(2);
    expect((await capture(['manifest', 'generate', '-f', join(missing, 'absent.yaml')])).code).toBe(2);
  });
});
