// text/template's predefined functions (and/or are compiled in compile.ts for short-circuiting).
import { TemplateError } from './lex';
import type { FuncMap } from './compile';
import { fmtValue, goEqual, goIndex, goLen, goLess, goTypeName, isObj, truth } from './values';
import { sprintf, sprint, sprintln } from './printf';

function need(name: string, args: unknown[], n: number): void {
  if (args.length !== n)
    throw new TemplateError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
}

export const BUILTINS: FuncMap = {
  not: (...a) => {
    need('not', a, 1);
    return !truth(a[0]);
  },
  len: (...a) => {
    need('len', a, 1);
    return goLen(a[0]);
  },
  index: (recv, ...keys) => goIndex(recv, keys),
  slice: (recv, ...idx) => {
    if (typeof recv !== 'string' && !Array.isArray(recv)) {
      throw new TemplateError(`can't slice item of type ${goTypeName(recv)}`);
    }
    if (idx.length > 3) throw new TemplateError('too many slice indexes');
    const ints = idx.map((x) => {
      if (typeof x !== 'number' || !Number.isInteger(x))
        throw new TemplateError('cannot index slice with non-int');
      return x;
    });
    const len = recv.length;
    const lo = ints[0] ?? 0;
    const hi = ints[1] ?? len;
    if (lo < 0 || hi < lo || hi > len) throw new TemplateError(`invalid slice index: ${lo} > ${hi}`);
    return recv.slice(lo, hi);
  },
  eq: (a, ...bs) => {
    if (bs.length === 0) throw new TemplateError('missing argument for comparison');
    return bs.some((b) => goEqual(a, b));
  },
  ne: (...a) => {
    need('ne', a, 2);
    return !goEqual(a[0], a[1]);
  },
  lt: (...a) => {
    need('lt', a, 2);
    return goLess(a[0], a[1]);
  },
  le: (...a) => {
    need('le', a, 2);
    return goLess(a[0], a[1]) || goEqual(a[0], a[1]);
  },
  gt: (...a) => {
    need('gt', a, 2);
    return !goLess(a[0], a[1]) && !goEqual(a[0], a[1]);
  },
  ge: (...a) => {
    need('ge', a, 2);
    return !goLess(a[0], a[1]);
  },
  print: (...a) => sprint(a),
  printf: (format, ...a) => sprintf(String(format), a),
  println: (...a) => sprintln(a),
  html: (...a) => htmlEscape(sprint(a)),
  js: (...a) => jsEscape(sprint(a)),
  urlquery: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+'),
  call: (fn) => {
    throw new TemplateError(`non-function ${fmtValue(fn)} of type ${goTypeName(fn)}`);
  },
};

function htmlEscape(s: string): string {
  return s.replace(/[&'<>"\0]/g, (c) =>
    c === '&'
      ? '&amp;'
      : c === "'"
        ? '&#39;'
        : c === '<'
          ? '&lt;'
          : c === '>'
            ? '&gt;'
            : c === '"'
              ? '&#34;'
              : '\uFFFD',
  );
}

function jsEscape(s: string): string {
  return s.replace(/[\\'"<>&=\n\r\t]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case "'":
        return "\\'";
      case '"':
        return '\\"';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    }
  });
}

export { isObj };
