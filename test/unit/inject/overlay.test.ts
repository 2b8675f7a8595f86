import { mergeList, mergeObject, type Json, type JsonObject } from '../../../inject/overlay';

const n = (name: string, extra: JsonObject = {}): JsonObject => ({ name, ...extra });

describe('strategic overlay', () => {
  it('puts new patch items before original-only ones (as the API machinery orders them)', () => {
    expect(mergeList([n('app')], [n('istio-proxy')], 'name')).toEqual([n('istio-proxy'), n('app')]);
  });

  it('keeps an original item that preceded a merged one in front of it', () => {
    const out = mergeList(
      [n('app'), n('istio-proxy', { image: 'x' })],
      [n('istio-proxy', { tty: true })],
      'name',
    );
    expect(out).toEqual([n('app'), n('istio-proxy', { image: 'x', tty: true })]);
  });

  it('merges keyed lists inside objects and replaces plain lists', () => {
    const target: JsonObject = {
      env: [n('A', { value: '1' }), n('B', { value: '2' })] as Json[],
      args: ['x'],
      resources: { limits: { cpu: '1', memory: '1Gi' } },
    };
    mergeObject(target, {
      env: [n('B', { value: '3' }), n('C', { value: '4' })] as Json[],
      args: ['y', 'z'],
      resources: { limits: { cpu: '2' } },
    });
    expect(target).toEqual({
      env: [n('A', { value: '1' }), n('B', { value: '3' }), n('C', { value: '4' })],
      args: ['y', 'z'],
      resources: { limits: { cpu: '2', memory: '1Gi' } },
    });
  });

  it('deletes a key with null', () => {
    const target: JsonObject = { a: 1, b: 2 };
    mergeObject(target, { a: null });
    expect(target).toEqual({ b: 2 });
  });

  it('merges duplicate patch keys into one item', () => {
    expect(mergeList([], [n('A', { value: '1' }), n('A', { x: true })], 'name')).toEqual([
      n('A', { value: '1', x: true }),
    ]);
  });

  it('merges into a large list by key (its cost is in the engine benchmark, env-1000)', () => {
    const big = Array.from({ length: 20000 }, (_, i) => n(`V${i}`));
    const out = mergeList(big, [n('V19999', { value: 'x' }), n('NEW')], 'name');
    expect(out).toHaveLength(20001);
    expect(out[0]).toEqual(n('V0'));
    expect(out[19999]).toEqual(n('V19999', { value: 'x' }));
    expect(out[20000]).toEqual(n('NEW'));
  });

  it('onto an empty list, returns the objects of the patch in order, in a new list', () => {
    const patch = [n('B'), n('A', { value: '1' })];
    const out = mergeList([], patch, 'name');
    expect(out).toEqual([n('B'), n('A', { value: '1' })]);
    expect(out).not.toBe(patch);
    // Items that are not objects have no key to merge by and are dropped, as with a non-empty list.
    expect(mergeList([], [n('A'), 'stray', n('B')], 'name')).toEqual([n('A'), n('B')]);
    expect(mergeList([n('Z')], [n('A'), 'stray'], 'name')).toEqual([n('A'), n('Z')]);
  });
});
