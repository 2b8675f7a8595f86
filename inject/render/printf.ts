// fmt.Sprint/Sprintln/Sprintf for template values: the verbs templates use (%s %v %d %t %q %f %x %%),
// with widths, `-` padding and precision.
import { fmtValue, formatNumber } from './values';

/** fmt.Sprint: spaces only between operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    if (i > 0 && typeof args[i] !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += fmtValue(args[i]);
  }
  return out;
}

export function sprintln(args: unknown[]): string {
  return `${args.map(fmtValue).join(' ')}\n`;
}

/** Go's strconv.Quote: printable characters kept, the rest escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const VERB = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/g;

export function sprintf(format: string, args: unknown[]): string {
  let argi = 0;
  const out = format.replace(
    VERB,
    (_whole: string, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      let w = width === '*' ? Number(args[argi++]) : width !== undefined ? Number(width) : undefined;
      const p = prec === '*' ? Number(args[argi++]) : prec !== undefined ? Number(prec) : undefined;
      if (argi >= args.length) return `%!${verb}(MISSING)`;
      const a = args[argi++];
      let s = formatVerb(verb, a, p, flags);
      if (w !== undefined && s.length < w) {
        const pad = (flags.includes('0') && !flags.includes('-') && typeof a === 'number' ? '0' : ' ').repeat(
          w - s.length,
        );
        s = flags.includes('-') ? s + pad : pad + s;
      }
      w = undefined;
      return s;
    },
  );
  if (argi < args.length) {
    return `${out}%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${typeName(a)}=${fmtValue(a)}`)
      .join(', ')})`;
  }
  return out;
}

function typeName(a: unknown): string {
  if (typeof a === 'string') return 'string';
  if (typeof a === 'number') return Number.isInteger(a) ? 'int' : 'float64';
  if (typeof a === 'boolean') return 'bool';
  return 'interface {}';
}

function formatVerb(verb: string, a: unknown, prec: number | undefined, flags: string): string {
  switch (verb) {
    case 'v':
      return fmtValue(a);
    case 's': {
      const s = fmtValue(a);
      return prec !== undefined ? s.slice(0, prec) : s;
    }
    case 'q':
      return typeof a === 'number' && Number.isInteger(a)
        ? `'${String.fromCodePoint(a)}'`
        : goQuote(fmtValue(a));
    case 'd':
      return typeof a === 'number' && Number.isInteger(a)
        ? (flags.includes('+') && a >= 0 ? '+' : '') + String(a)
        : `%!d(${typeName(a)}=${fmtValue(a)})`;
    case 't':
      return typeof a === 'boolean' ? String(a) : `%!t(${typeName(a)}=${fmtValue(a)})`;
    case 'f':
    case 'F':
      return typeof a === 'number' ? a.toFixed(prec ?? 6) : `%!f(${typeName(a)}=${fmtValue(a)})`;
    case 'g':
      return typeof a === 'number' ? formatNumber(a) : `%!g(${typeName(a)}=${fmtValue(a)})`;
    case 'x':
    case 'X': {
      const s =
        typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(fmtValue(a), 'utf8').toString('hex');
      return verb === 'X' ? s.toUpperCase() : s;
    }
    case 'o':
      return typeof a === 'number' ? Math.trunc(a).toString(8) : `%!o(${typeName(a)}=${fmtValue(a)})`;
    case 'c':
      return typeof a === 'number' ? String.fromCodePoint(a) : `%!c(${typeName(a)}=${fmtValue(a)})`;
    default:
      return `%!${verb}(${typeName(a)}=${fmtValue(a)})`;
  }
}
