// `meshwright install`'s IstioOperator building: files and --set flags merged as istioctl merges them,
// the installed-state naming, and validation errors that name the field (and the allowed values).
import { UsageError } from '../../../lib/flags';
import { buildInstallPlan, conflictingIop, installedStateName } from '../../../cli/install-spec';

const file = (name: string, text: string) => ({ name, text });
const plan = (setFlags: string[], files: { name: string; text: string }[] = [], revision?: string) =>
  buildInstallPlan({ files, setFlags, revision });

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('install plan from --set flags', () => {
  it('--set profile=demo gives the demo components, stored as istio-system/installed-state', () => {
    const p = plan(['profile=demo']);
    expect(p.iop).toEqual({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'installed-state', namespace: 'istio-system' },
      spec: { profile: 'demo' },
    });
    expect(p.profile).toBe('demo');
    expect(p.components).toEqual(['Base', 'Pilot', 'IngressGateways', 'EgressGateways']);
  });

  it('no flags at all is the default profile without the egress gateway', () => {
    const p = plan([]);
    expect(p.iop.spec).toEqual({});
    expect(p.profile).toBe('default');
    expect(p.components).toEqual(['Base', 'Pilot', 'IngressGateways']);
  });

  it('accepts the spec. prefix, values.*, meshConfig.* and components.* paths with typed values', () => {
    const p = plan([
      'spec.hub=registry.example/istio',
      'values.global.proxy.statusPort=15021',
      'meshConfig.enableTracing=true',
      'meshConfig.accessLogFile=/dev/stdout',
      'components.ingressGateways[name:istio-ingressgateway].enabled=false',
      'components.cni.enabled=true',
    ]);
    expect(p.iop.spec).toEqual({
      hub: 'registry.example/istio',
      values: { global: { proxy: { statusPort: 15021 } } },
      meshConfig: { enableTracing: true, accessLogFile: '/dev/stdout' },
      components: {
        ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }],
        cni: { enabled: true },
      },
    });
    expect(p.components).toEqual(['Base', 'Pilot', 'Cni']);
  });

  it('--revision names the resource installed-state-<rev> and sets spec.revision', () => {
    const p = plan(['profile=minimal'], [], 'canary');
    expect(p.name).toBe('installed-state-canary');
    expect(p.iop.spec?.revision).toBe('canary');
    expect(p.revision).toBe('canary');
    expect(p.components).toEqual(['Base', 'Pilot']);
  });

  it('--set namespace moves the IstioOperator with the control plane', () => {
    expect(plan(['namespace=mesh']).namespace).toBe('mesh');
    expect(plan(['values.global.istioNamespace=mesh2']).namespace).toBe('mesh2');
  });
});

describe('install plan from files', () => {
  const base = file(
    'a.yaml',
    `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata:
  name: prod
spec:
  profile: minimal
  meshConfig:
    accessLogFile: /dev/stdout
  components:
    ingressGateways:
      - name: istio-ingressgateway
        enabled: true
        k8s:
          replicaCount: 2
`,
  );
  const overlay = file(
    'b.yaml',
    `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  meshConfig:
    enableTracing: true
  components:
    ingressGateways:
      - name: istio-ingressgateway
        k8s:
          replicaCount: 3
`,
  );

  it('merges files in order (gateways by name), then --set; the file name goes into the resource name', () => {
    const p = plan(['meshConfig.accessLogFile='], [base, overlay], 'blue');
    expect(p.name).toBe('installed-state-prod-blue');
    expect(p.iop.spec).toEqual({
      profile: 'minimal',
      revision: 'blue',
      meshConfig: { accessLogFile: '', enableTracing: true },
      components: {
        ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, k8s: { replicaCount: 3 } }],
      },
    });
    expect(p.components).toEqual(['Base', 'Pilot', 'IngressGateways']);
  });

  it('names the file when it is not an IstioOperator', () => {
    const err = errorOf(() => plan([], [file('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\n')]));
    expect(err.message).toMatch(/^bad\.yaml: .*apiVersion: must be install\.istio\.io\/v1alpha1/s);
  });
});

describe('install plan errors name the field', () => {
  it('an unknown top-level path lists the fields that exist', () => {
    const err = errorOf(() => plan(['valuez.global.hub=x']));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain('unknown IstioOperator field "valuez"');
    expect(err.message).toContain('expected one of profile, hub, tag');
  });

  it('an unknown profile names spec.profile and the supported profiles', () => {
    const err = errorOf(() => plan(['profile=demoo']));
    expect(err).toBeInstanceOf(UsageError);
    // The list grows as profiles are implemented; it always names the field and the ones on offer.
    expect(err.message).toMatch(
      /^spec\.profile: unknown profile "demoo" \(supported: default, demo, minimal[a-z, -]*\)$/,
    );
  });

  it('a wrongly typed value names its path', () => {
    const err = errorOf(() => plan(['components.pilot.enabled=maybe']));
    expect(err.message).toBe('spec.components.pilot.enabled: must be true or false, got "maybe"');
    const err2 = errorOf(() => plan(['components.pilot.k8s.imagePullPolicy=Sometimes']));
    expect(err2.message).toContain(
      'spec.components.pilot.k8s.imagePullPolicy: must be one of Always, IfNotPresent, Never',
    );
  });

  it('an unknown component and an invalid revision are refused', () => {
    expect(errorOf(() => plan(['components.pilots.enabled=true'])).message).toContain(
      'spec.components.pilots: unknown component (expected one of base, pilot, cni, ztunnel, ingressGateways, egressGateways)',
    );
    expect(errorOf(() => plan([], [], 'Canary_1')).message).toContain(
      'spec.revision: "Canary_1" is not a valid revision name',
    );
  });

  it('a malformed --set is refused with the flag quoted', () => {
    expect(errorOf(() => plan(['profile'])).message).toBe('--set "profile": expected path=value');
  });
});

describe('installedStateName', () => {
  it('follows istioctl: prefix, then the file name, then the revision (default is no revision)', () => {
    expect(installedStateName(undefined, '')).toBe('installed-state');
    expect(installedStateName(undefined, 'default')).toBe('installed-state');
    expect(installedStateName('x', '1-31')).toBe('installed-state-x-1-31');
  });
});

describe('conflictingIop', () => {
  const p = plan(['profile=demo']);
  const canary = plan(['profile=demo'], [], 'canary');

  it('names another IstioOperator of the same revision and namespace', () => {
    const msg = conflictingIop(p, [
      { name: 'default', namespace: 'istio-system', spec: { profile: 'default' } },
    ]);
    expect(msg).toBe(
      'IstioOperator istio-system/default already installs revision default into namespace istio-system: two would ' +
        'fight over the same objects. Change that resource instead, delete it first, or install another revision (--revision)',
    );
    // revision "default" is the default revision; values.global.istioNamespace counts as the namespace.
    expect(
      conflictingIop(p, [
        {
          name: 'x',
          namespace: 'ops',
          spec: { revision: 'default', values: { global: { istioNamespace: 'istio-system' } } },
        },
      ]),
    ).toContain('IstioOperator ops/x already installs revision default');
  });

  it('lets the same resource, another revision or another namespace pass', () => {
    expect(
      conflictingIop(p, [{ name: 'installed-state', namespace: 'istio-system', spec: {} }]),
    ).toBeUndefined();
    expect(
      conflictingIop(p, [{ name: 'c', namespace: 'istio-system', spec: { revision: 'canary' } }]),
    ).toBeUndefined();
    expect(conflictingIop(canary, [{ name: 'd', namespace: 'istio-system', spec: {} }])).toBeUndefined();
    expect(
      conflictingIop(p, [{ name: 'd', namespace: 'istio-system', spec: { namespace: 'mesh2' } }]),
    ).toBeUndefined();
  });
});
