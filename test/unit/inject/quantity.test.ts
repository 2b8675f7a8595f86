import { canonicalQuantity } from '../../../inject/quantity';

describe('canonicalQuantity', () => {
  it.each([
    ['2000m', '2'],
    ['1024Mi', '1Gi'],
    ['128Mi', '128Mi'],
    ['1536Mi', '1536Mi'],
    ['100m', '100m'],
    ['1500m', '1500m'],
    ['0.5', '500m'],
    ['4000m', '4'],
    ['1000', '1k'],
    ['0', '0'],
    ['512', '512'],
    ['1Ki', '1Ki'],
    ['0.5Gi', '512Mi'],
    ['1e3', '1e3'],
    [2, '2'],
  ])('%s -> %s', (input, want) => {
    expect(canonicalQuantity(input)).toBe(want);
  });

  it('leaves invalid text alone', () => {
    expect(canonicalQuantity('lots')).toBe('lots');
  });

  it('gives the same answers past its memo limit (remembered, forgotten and recomputed)', () => {
    const first = ['1500m', '0.5Gi', '1e3', 'lots'].map(canonicalQuantity);
    // More distinct quantities than the memo holds: it starts over at least once.
    const many = Array.from({ length: 3000 }, (_, i) => canonicalQuantity(`${i * 1000}m`));
    expect(many[2]).toBe('2');
    expect(many[1500]).toBe('1500');
    expect(['1500m', '0.5Gi', '1e3', 'lots'].map(canonicalQuantity)).toEqual(first);
    expect(first).toEqual(['1500m', '512Mi', '1e3', 'lots']);
  });
});
