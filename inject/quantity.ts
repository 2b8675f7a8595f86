// Canonical form of Kubernetes resource quantities ("2000m" -> "2", "1024Mi" -> "1Gi"), as the API
// machinery (and so istiod's output) prints them. Values are exact: BigInt in nano units.

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL_SUFFIX).map(([s, e]) => [e, s]));
const BINARY_NAMES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

type Format = 'decimal' | 'binary' | 'exponent';

/** The API machinery's message for a string that is no quantity. */
export const QUANTITY_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** Whether the text parses as a resource quantity (surrounding spaces ignored, as the API machinery does). */
export function isQuantity(s: string): boolean {
  return QUANTITY.test(s.trim());
}

// Pods carry a handful of distinct quantities ("100m", "128Mi", ...) and every injection canonicalizes
// them again; the BigInt arithmetic below is 10-15 % of an injection, a lookup is nothing. Bounded:
// quantities come from pods, so the memo starts over rather than grow without limit.
const MEMO_LIMIT = 1024;
const memo = new Map<string | number, string>();

/** Returns the canonical spelling, or the input unchanged when it is not a valid quantity. */
export function canonicalQuantity(input: string | number): string {
  let out = memo.get(input);
  if (out === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(input, (out = canonicalize(input)));
  }
  return out;
}

function canonicalize(input: string | number): string {
  const s = String(input).trim();
  const m = QUANTITY.exec(s);
  if (!m) return String(input);
  const [, sign, num, suffix, exp] = m;
  const [whole, frac = ''] = num.split('.');
  let format: Format = 'decimal';
  // value = digits * 10^scale (scale relative to units) * 2^bin
  let scale = -frac.length;
  let bin = 0;
  if (exp !== undefined) {
    format = 'exponent';
    scale += Number(exp);
  } else if (suffix && BINARY_SUFFIX[suffix] !== undefined) {
    format = 'binary';
    bin = BINARY_SUFFIX[suffix];
  } else {
    scale += DECIMAL_SUFFIX[suffix ?? ''];
  }
  let digits = BigInt((whole || '0') + frac);
  if (bin) digits *= 1n << BigInt(bin);
  // To nano units, rounding up below 1n as the API machinery does.
  let nanos: bigint;
  const shift = scale + 9;
  if (shift >= 0) nanos = digits * 10n ** BigInt(shift);
  else {
    const div = 10n ** BigInt(-shift);
    nanos = digits / div + (digits % div === 0n ? 0n : 1n);
  }
  if (nanos === 0n) return '0';
  const neg = sign === '-';
  const abs = nanos;
  const oneUnit = 1_000_000_000n;
  if (format === 'binary') {
    // Small or fractional binary amounts print in decimal form.
    if (abs % oneUnit === 0n && abs >= 1024n * oneUnit) {
      let units = abs / oneUnit;
      let i = 0;
      while (i < BINARY_NAMES.length - 1 && units % 1024n === 0n) {
        units /= 1024n;
        i++;
      }
      return `${neg ? '-' : ''}${units}${BINARY_NAMES[i]}`;
    }
    format = 'decimal';
  }
  // Largest power-of-1000 exponent that keeps the mantissa integral.
  let e = -9;
  let mant = abs;
  while (e < 18 && mant % 1000n === 0n) {
    mant /= 1000n;
    e += 3;
  }
  if (format === 'exponent') return `${neg ? '-' : ''}${mant}${e === 0 ? '' : `e${e}`}`;
  return `${neg ? '-' : ''}${mant}${DECIMAL_BY_EXP.get(e) ?? ''}`;
}

/** Canonicalizes every quantity of a requests/limits map in place. */
export function canonicalizeResourceList(list: Record<string, unknown> | undefined): void {
  if (!list) return;
  for (const k of Object.keys(list)) {
    const v = list[k];
    if (typeof v === 'string' || typeof v === 'number') list[k] = canonicalQuantity(v);
  }
}
