// Regressions found by the HTTP fuzz suite in webhook/server/paths.ts (docs/reliability.md).
import { applyPathOverrides, MAX_DERIVED_CONFIGS, parseInjectPath } from '../../../webhook/server/paths';
import { config } from '../webhook/fixtures';

describe('inject path regressions', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    '/inject/%s/x is an unknown parameter (was: accepted, the pod injected at a mistyped URL)',
    (key) => {
      const r = parseInjectPath(`/inject/${key}/x`, 'default');
      expect(r).toEqual({
        error: `unknown path parameter ${JSON.stringify(key)} (want cluster, net or rev)`,
      });
    },
  );

  it('keeps a bounded number of per-path configs (was: one per distinct cluster/net value, forever)', () => {
    const cfg = config();
    const first = applyPathOverrides(cfg, { revision: 'default', cluster: 'c0' });
    expect(applyPathOverrides(cfg, { revision: 'default', cluster: 'c0' })).toBe(first);
    for (let i = 1; i <= MAX_DERIVED_CONFIGS; i++)
      applyPathOverrides(cfg, { revision: 'default', cluster: `c${i}` });
    // c0 was the oldest entry and has been evicted: a new (equal) config is derived for it.
    const again = applyPathOverrides(cfg, { revision: 'default', cluster: 'c0' });
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    // The most recent ones are still memoized.
    const last = `c${MAX_DERIVED_CONFIGS}`;
    expect(applyPathOverrides(cfg, { revision: 'default', cluster: last })).toBe(
      applyPathOverrides(cfg, { revision: 'default', cluster: last }),
    );
  });
});
