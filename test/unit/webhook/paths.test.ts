import { applyPathOverrides, parseInjectPath } from '../../../webhook/server/paths';
import { config } from './fixtures';

describe('parseInjectPath', () => {
  it.each([
    ['/inject', { revision: 'default' }],
    ['/inject/', { revision: 'default' }],
    ['/inject?timeout=10s', { revision: 'default' }],
    ['/inject/cluster/c1/net/n1', { revision: 'default', cluster: 'c1', network: 'n1' }],
    ['/inject/net/n1/cluster/c1', { revision: 'default', cluster: 'c1', network: 'n1' }],
    ['/inject/rev/canary', { revision: 'canary' }],
    ['/inject/rev/1-30/cluster/east/net/n%2F1', { revision: '1-30', cluster: 'east', network: 'n/1' }],
  ])('%s', (path, want) => {
    expect(parseInjectPath(path, 'default')).toEqual(want);
  });

  it.each([
    ['/mutate', /unknown path/],
    ['/inject/cluster', /key\/value pairs/],
    ['/inject/foo/bar', /unknown path parameter "foo"/],
    ['/inject/rev/a/rev/b', /given twice/],
    ['/inject/rev/%E0%A4%A', /URL encoding/],
  ])('refuses %s', (path, message) => {
    const r = parseInjectPath(path, 'default');
    expect('error' in r && r.error).toMatch(message);
  });
});

describe('applyPathOverrides', () => {
  it('returns the same config when the path sets nothing', () => {
    const cfg = config();
    expect(applyPathOverrides(cfg, { revision: 'default' })).toBe(cfg);
  });
  it('sets cluster name and network without touching the shared config', () => {
    const cfg = config();
    cfg.values.global = { hub: 'h', multiCluster: { enabled: true } };
    const out = applyPathOverrides(cfg, { revision: 'default', cluster: 'east', network: 'net1' });
    expect(out.values.global).toEqual({
      hub: 'h',
      network: 'net1',
      multiCluster: { enabled: true, clusterName: 'east' },
    });
    expect(cfg.values.global).toEqual({ hub: 'h', multiCluster: { enabled: true } });
  });
});

describe('applyPathOverrides memoization', () => {
  it('returns the same derived object for the same base and path values', () => {
    const cfg = config();
    const a = applyPathOverrides(cfg, { revision: 'default', cluster: 'east' });
    expect(applyPathOverrides(cfg, { revision: 'default', cluster: 'east' })).toBe(a);
    expect(applyPathOverrides(cfg, { revision: 'default', cluster: 'west' })).not.toBe(a);
  });
});
