import { compareOrdinal } from '../../../lib/compare';

describe('compareOrdinal', () => {
  it('orders strings by code unit, not by locale (upper case before lower, digits before letters)', () => {
    expect(['b', 'a-b', 'B', 'ab', '9', '10', 'a.b'].sort(compareOrdinal)).toEqual([
      '10',
      '9',
      'B',
      'a-b',
      'a.b',
      'ab',
      'b',
    ]);
  });

  it('orders numbers by value and reports equality as 0', () => {
    expect([3, -1, 20, 3].sort(compareOrdinal)).toEqual([-1, 3, 3, 20]);
    expect(compareOrdinal('x', 'x')).toBe(0);
    expect(compareOrdinal(2, 1)).toBe(1);
    expect(compareOrdinal('a', 'b')).toBe(-1);
  });
});
