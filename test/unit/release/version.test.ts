import { compareIstioVersions, parseIstioVersion, releaseVersionOf } from '../../../release/version';
import type { IstioOperator } from '../../../operator/api/types';

const iop = (spec: IstioOperator['spec']): IstioOperator => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name: 'x' },
  spec,
});

describe('release version of an IstioOperator', () => {
  it('takes the semver of spec.tag, dropping image variants', () => {
    expect(releaseVersionOf(iop({ tag: '1.31.1-distroless' }), '1.30.3')).toEqual({
      version: '1.31.1',
      from: 'spec.tag',
    });
    expect(releaseVersionOf(iop({ tag: '1.31.0-rc.0' }), '1.30.3').version).toBe('1.31.0-rc.0');
  });

  it('falls back to values.global.tag, then to the default', () => {
    expect(releaseVersionOf(iop({ values: { global: { tag: '1.30.5' } } }), '1.30.3')).toEqual({
      version: '1.30.5',
      from: 'spec.values.global.tag',
    });
    expect(releaseVersionOf(iop({ tag: 'latest' }), '1.30.3')).toEqual({
      version: '1.30.3',
      from: 'default',
    });
    expect(releaseVersionOf(iop({ tag: '1.31.1-custom' }), '1.30.3').from).toBe('default');
  });

  it('lets an override win and rejects an override that is no version', () => {
    expect(releaseVersionOf(iop({ tag: '1.31.1' }), '1.30.3', 'v1.30.4')).toEqual({
      version: '1.30.4',
      from: 'override',
    });
    expect(() => releaseVersionOf(iop({}), '1.30.3', 'stable')).toThrow(/not an Istio version/);
  });

  it('reads an unvalidated map (manifest generate before render) and skips tags of the wrong shape', () => {
    const raw = { spec: { tag: ['1.31.1'], values: { global: { tag: 1.3 } } } };
    expect(releaseVersionOf(raw, '1.30.3')).toEqual({ version: '1.30.3', from: 'default' });
    const fromValues = { spec: { tag: { v: 1 }, values: { global: { tag: '1.30.5-distroless' } } } };
    expect(releaseVersionOf(fromValues, '1.30.3')).toEqual({
      version: '1.30.5',
      from: 'spec.values.global.tag',
    });
    expect(releaseVersionOf({ spec: 'not a map' }, '1.30.3').from).toBe('default');
    expect(releaseVersionOf({}, '1.30.3').from).toBe('default');
  });

  it('orders pre-releases before their release', () => {
    const v = (s: string) => parseIstioVersion(s)!;
    expect(compareIstioVersions(v('1.31.0-rc.0'), v('1.31.0'))).toBeLessThan(0);
    expect(compareIstioVersions(v('1.30.5'), v('1.31.0-rc.0'))).toBeLessThan(0);
    expect(compareIstioVersions(v('1.31.0'), v('1.31.0'))).toBe(0);
  });
});
