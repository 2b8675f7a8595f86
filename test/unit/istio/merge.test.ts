import fc from 'fast-check';
import { deepClone, deepMerge, isPlainObject, mergeAll } from '../../../lib/istio/merge';

// What a newly introduced overlay value becomes: nulls inside it have nothing to delete and are dropped.
function withoutNullMembers(v: unknown): unknown {
  if (!isPlainObject(v)) return deepClone(v);
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, withoutNullMembers(x)]),
  );
}

describe('deepMerge', () => {
  it('merges nested objects key by key, later wins', () => {
    const base = { values: { global: { hub: 'a', tag: '1' }, pilot: { enabled: true } } };
    const got = deepMerge(base, { values: { global: { tag: '2' } } });
    expect(got).toEqual({ values: { global: { hub: 'a', tag: '2' }, pilot: { enabled: true } } });
  });

  it('replaces arrays instead of concatenating them', () => {
    expect(deepMerge({ a: [1, 2, 3] }, { a: [4] })).toEqual({ a: [4] });
    expect(deepMerge({ a: [{ x: 1 }] }, { a: [{ y: 2 }] })).toEqual({ a: [{ y: 2 }] });
  });

  it('replaces an object with a scalar and a scalar with an object', () => {
    expect(deepMerge({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
    expect(deepMerge({ a: 'x' }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });

  it('deletes keys set to null in the overlay (Helm semantics)', () => {
    const base = { resources: { limits: { cpu: '2', memory: '1Gi' } } };
    expect(deepMerge(base, { resources: { limits: { cpu: null, memory: '500Mi' } } })).toEqual({
      resources: { limits: { memory: '500Mi' } },
    });
    expect(deepMerge({ a: 1 }, { b: { c: null, d: 1 } })).toEqual({ a: 1, b: { d: 1 } });
  });

  it('does not mutate its inputs and shares no objects with them', () => {
    const base = { a: { b: [1, { c: 2 }] }, k: 'v' };
    const overlay = { a: { d: { e: 1 } }, k: null };
    const baseCopy = JSON.parse(JSON.stringify(base));
    const overlayCopy = JSON.parse(JSON.stringify(overlay));
    const got = deepMerge(base, overlay);
    expect(base).toEqual(baseCopy);
    expect(overlay).toEqual(overlayCopy);
    expect(got.a.b).not.toBe(base.a.b);
    expect((got.a as Record<string, unknown>).d).not.toBe(overlay.a.d);
  });

  it('keeps a __proto__ key as data', () => {
    const overlay = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const got = deepMerge({}, overlay);
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.keys(got)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('mergeAll applies overlays in order', () => {
    expect(mergeAll({ a: 1 }, [{ a: 2 }, { a: 3, b: 1 }, { b: null }])).toEqual({ a: 3 });
  });

  it('property: every overlay leaf wins and untouched base keys survive', () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    const obj = fc.dictionary(fc.string({ maxLength: 3 }), json, { maxKeys: 5 });
    fc.assert(
      fc.property(obj, obj, (base, overlay) => {
        const got = deepMerge(base as Record<string, unknown>, overlay as Record<string, unknown>);
        for (const [k, v] of Object.entries(overlay)) {
          if (v === null) expect(k in got).toBe(false);
          else if (!isPlainObject(v) || !isPlainObject(base[k]))
            expect(got[k]).toEqual(withoutNullMembers(v));
        }
        for (const k of Object.keys(base)) if (!(k in overlay)) expect(got[k]).toEqual(base[k]);
      }),
    );
  });
});
