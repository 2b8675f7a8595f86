// Go text/template lexer: splits template text into text runs and the tokens of each `{{ }}` action,
// applying the `{{-` / `-}}` whitespace trimming to the neighbouring text as Go does.

export class TemplateError extends Error {}

export type TokenKind =
  | 'text'
  | 'open' // {{
  | 'close' // }}
  | 'ident' // function or keyword
  | 'field' // .Name
  | 'dot' // .
  | 'var' // $ or $name
  | 'string' // already unquoted
  | 'number'
  | 'char'
  | 'bool'
  | 'nil'
  | 'lparen'
  | 'rparen'
  | 'pipe'
  | 'declare' // :=
  | 'assign' // =
  | 'comma';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Parsed value for string, number, char, bool tokens. */
  value?: string | number | boolean;
  line: number;
  /** Written right after the previous token (no space): `$x.Field` chains, `$x .Field` does not. */
  adj: boolean;
}

const SPACE = /[ \t\r\n]/;

/** Tokens of one template; comments are dropped, trim markers applied. */
export function lex(src: string, name: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new TemplateError(`template: ${name}:${line}: ${msg}`);
  };
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    const trimLeft = open >= 0 && src[open + 2] === '-' && SPACE.test(src[open + 3] ?? '');
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) out.push({ kind: 'text', text, line, adj: false });
    if (open < 0) break;
    line += countLines(src, i, open);
    i = open + (trimLeft ? 3 : 2);
    // A comment is the whole action: {{/* ... */}} (with optional trim markers).
    let j = i;
    while (SPACE.test(src[j] ?? '')) j++;
    if (src.startsWith('/*', j)) {
      const end = src.indexOf('*/', j + 2);
      if (end < 0) fail('unclosed comment');
      let k = end + 2;
      let trimRight = false;
      if (SPACE.test(src[k] ?? '') && src.startsWith('-}}', k + 1)) {
        trimRight = true;
        k += 4;
      } else if (src.startsWith('}}', k)) {
        k += 2;
      } else {
        fail('comment ends before closing delimiter');
      }
      line += countLines(src, i, k);
      i = k;
      trimNext = trimRight;
      continue;
    }
    out.push({ kind: 'open', text: '{{', line, adj: false });
    const r = lexAction(src, i, line, name, out);
    i = r.pos;
    line = r.line;
    trimNext = r.trimRight;
  }
  return out;
}

function countLines(s: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) if (s.charCodeAt(k) === 10) n++;
  return n;
}

function lexAction(
  src: string,
  start: number,
  startLine: number,
  name: string,
  out: Token[],
): { pos: number; line: number; trimRight: boolean } {
  let i = start;
  let line = startLine;
  let depth = 0;
  const fail = (msg: string): never => {
    throw new TemplateError(`template: ${name}:${line}: ${msg}`);
  };
  let adj = false;
  const push = (kind: TokenKind, text: string, value?: string | number | boolean): void => {
    out.push({ kind, text, value, line, adj });
    adj = true;
  };
  for (;;) {
    if (i >= src.length) fail('unclosed action');
    const c = src[i];
    if (SPACE.test(c) && src.startsWith('-}}', i + 1)) {
      if (depth > 0) fail('unclosed left paren');
      push('close', '}}');
      if (c === '\n') line++;
      return { pos: i + 4, line, trimRight: true };
    }
    if (src.startsWith('}}', i)) {
      if (depth > 0) fail('unclosed left paren');
      push('close', '}}');
      return { pos: i + 2, line, trimRight: false };
    }
    if (SPACE.test(c)) {
      if (c === '\n') line++;
      i++;
      adj = false;
      continue;
    }
    if (c === '(') {
      depth++;
      push('lparen', c);
      i++;
    } else if (c === ')') {
      if (--depth < 0) fail('unexpected right paren');
      push('rparen', c);
      i++;
    } else if (c === '|') {
      push('pipe', c);
      i++;
    } else if (c === ',') {
      push('comma', c);
      i++;
    } else if (c === ':' && src[i + 1] === '=') {
      push('declare', ':=');
      i += 2;
    } else if (c === '=') {
      push('assign', '=');
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') j++;
        if (src[j] === '\n') fail('unterminated quoted string');
        j++;
      }
      if (j >= src.length) fail('unterminated quoted string');
      push('string', src.slice(i, j + 1), unquoteGo(src.slice(i + 1, j), fail));
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) fail('unterminated raw quoted string');
      const raw = src.slice(i + 1, j);
      push('string', src.slice(i, j + 1), raw);
      line += countLines(src, i, j);
      i = j + 1;
    } else if (c === "'") {
      const m = /^'(\\.|[^'\\])+'/u.exec(src.slice(i));
      if (!m) fail('unterminated character constant');
      const body = unquoteGo(m![0].slice(1, -1), fail);
      push('char', m![0], body.codePointAt(0) ?? 0);
      i += m![0].length;
    } else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      const m = /^\.[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      if (m) {
        push('field', m[0].slice(1));
        i += m[0].length;
      } else {
        push('dot', '.');
        i++;
      }
    } else if (c === '$') {
      const m = /^\$[A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      push('var', m[0]);
      i += m[0].length;
    } else if (/[0-9+\-.]/.test(c)) {
      const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[oObB][0-9_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/.exec(
        src.slice(i),
      );
      if (!m || m[0] === '' || m[0] === '+' || m[0] === '-') fail(`bad character ${JSON.stringify(c)}`);
      push('number', m![0], parseGoNumber(m![0], fail));
      i += m![0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      const w = m[0];
      if (w === 'true' || w === 'false') push('bool', w, w === 'true');
      else if (w === 'nil') push('nil', w);
      else push('ident', w);
      i += w.length;
    } else {
      fail(`unexpected ${JSON.stringify(c)} in command`);
    }
  }
}

function parseGoNumber(s: string, fail: (m: string) => never): number {
  const t = s.replace(/_/g, '');
  const neg = t.startsWith('-');
  const body = t.replace(/^[+-]/, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0[0-7]+$/.test(body)) n = parseInt(body, 8);
  else n = Number(body);
  if (!Number.isFinite(n)) fail(`bad number syntax: ${JSON.stringify(s)}`);
  return neg ? -n : n;
}

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/** Go's interpreted string literal escapes (\n, \t, \xNN, \uNNNN, \UNNNNNNNN, octal). */
function unquoteGo(body: string, fail: (m: string) => never): string {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e in ESCAPES) out += ESCAPES[e];
    else if (e === 'x') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 1 + n), 16));
      i += n;
    } else if (/[0-7]/.test(e)) {
      out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else fail(`invalid syntax in string escape \\${e}`);
  }
  return out;
}
