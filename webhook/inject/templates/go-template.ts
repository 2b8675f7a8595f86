// A small interpreter for the Go text/template subset that user-supplied injection templates
// (`sidecarInjectorWebhook.templates`) use: text, `{{ pipeline }}` with `{{-`/`-}}` trimming, field paths on
// the template data (`.Spec.Containers`, `$c.Name`, `.Values.global.hub`), string/number literals,
// `range [$i, $x :=] ...`, `if`/`else if`/`else`, `with`, `end`, and the functions `index`, `default`,
// `quote`, `not`, `eq`, `ne`, `and`, `or`, `len`, `toLower`, `toUpper`. Anything else is reported as
// unsupported rather than rendered wrongly.

export class TemplateError extends Error {}

type Node =
  | { t: 'text'; text: string }
  | { t: 'out'; expr: string }
  | { t: 'range'; vars: string[]; expr: string; body: Node[]; alt: Node[] }
  | { t: 'if'; expr: string; body: Node[]; alt: Node[] }
  | { t: 'with'; expr: string; body: Node[]; alt: Node[] };

type Scope = { dot: unknown; vars: Map<string, unknown> };

/** Renders `template` with `data` (a JSON-shaped object; Go field names resolve to camelCase keys). */
export function renderGoTemplate(template: string, data: unknown): string {
  const nodes = parse(tokenize(template));
  const out: string[] = [];
  run(nodes, { dot: data, vars: new Map([['$', data]]) }, out);
  return out.join('');
}

type Token = { t: 'text'; text: string } | { t: 'action'; body: string };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      tokens.push({ t: 'text', text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    tokens.push({ t: 'text', text });
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError('unclosed action');
    let body = src.slice(start, close);
    i = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      const m = /^\s*/.exec(src.slice(i));
      i += m ? m[0].length : 0;
    }
    body = body.trim();
    // Comments render nothing.
    if (!(body.startsWith('/*') && body.endsWith('*/'))) tokens.push({ t: 'action', body });
  }
  return tokens;
}

function parse(tokens: Token[]): Node[] {
  let pos = 0;
  // Reads nodes up to an {{end}} / {{else ...}}, which it returns as `stop`.
  const block = (): { body: Node[]; stop: string } => {
    const body: Node[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++];
      if (tok.t === 'text') {
        if (tok.text) body.push({ t: 'text', text: tok.text });
        continue;
      }
      const b = tok.body;
      if (b === 'end' || b === 'else' || b.startsWith('else ')) return { body, stop: b };
      const kw = /^(range|if|with)\s+(.*)$/s.exec(b);
      if (kw) body.push(control(kw[1], kw[2]));
      else if (/^(define|template|block|break|continue)\b/.test(b)) {
        throw new TemplateError(`unsupported template action {{${b}}}`);
      } else body.push({ t: 'out', expr: b });
    }
    return { body, stop: '' };
  };
  // A range/if/with and its branches, through the {{end}} they share.
  const control = (kind: string, rest: string): Node => {
    const inner = block();
    let alt: Node[] = [];
    if (inner.stop.startsWith('else if ')) {
      alt = [control('if', inner.stop.slice('else if '.length))];
    } else if (inner.stop === 'else') {
      const elseBlock = block();
      if (elseBlock.stop !== 'end') throw new TemplateError(`unexpected {{${elseBlock.stop || 'EOF'}}}`);
      alt = elseBlock.body;
    } else if (inner.stop !== 'end') {
      throw new TemplateError(`missing {{end}} for {{${kind} ${rest}}}`);
    }
    if (kind === 'range') {
      const m = /^(\$\w*)\s*(?:,\s*(\$\w*)\s*)?:=\s*(.+)$/s.exec(rest);
      const vars = m ? [m[1], m[2]].filter((v): v is string => v !== undefined) : [];
      return { t: 'range', vars, expr: m ? m[3] : rest, body: inner.body, alt };
    }
    return { t: kind as 'if' | 'with', expr: rest, body: inner.body, alt };
  };
  const { body, stop } = block();
  if (stop) throw new TemplateError(`unexpected {{${stop}}}`);
  return body;
}

function run(nodes: Node[], scope: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.t) {
      case 'text':
        out.push(n.text);
        break;
      case 'out':
        out.push(show(evaluate(n.expr, scope)));
        break;
      case 'if':
        run(truthy(evaluate(n.expr, scope)) ? n.body : n.alt, scope, out);
        break;
      case 'with': {
        const v = evaluate(n.expr, scope);
        if (truthy(v)) run(n.body, { dot: v, vars: scope.vars }, out);
        else run(n.alt, scope, out);
        break;
      }
      case 'range': {
        const v = evaluate(n.expr, scope);
        const entries: [unknown, unknown][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v !== null && typeof v === 'object'
            ? Object.keys(v)
                .sort()
                .map((k) => [k, (v as Record<string, unknown>)[k]])
            : [];
        if (entries.length === 0) {
          run(n.alt, scope, out);
          break;
        }
        for (const [k, x] of entries) {
          const vars = new Map(scope.vars);
          if (n.vars.length === 1) vars.set(n.vars[0], x);
          if (n.vars.length === 2) {
            vars.set(n.vars[0], k);
            vars.set(n.vars[1], x);
          }
          run(n.body, { dot: x, vars }, out);
        }
        break;
      }
    }
  }
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// Pipelines: `a | f b` passes a as the last argument of f.
function evaluate(expr: string, scope: Scope): unknown {
  const stages = splitTop(expr, '|');
  let acc: unknown;
  stages.forEach((stage, i) => {
    const args = splitArgs(stage);
    if (i > 0) args.push(acc === undefined ? { lit: undefined } : { lit: acc });
    acc = call(args, scope);
  });
  return acc;
}

type Arg = string | { lit: unknown };

function call(args: Arg[], scope: Scope): unknown {
  const [head, ...rest] = args;
  if (typeof head === 'string' && FUNCS[head]) return FUNCS[head](rest.map((a) => term(a, scope)));
  if (rest.length) throw new TemplateError(`unsupported template function in ${JSON.stringify(head)}`);
  return term(head, scope);
}

function term(a: Arg, scope: Scope): unknown {
  if (typeof a !== 'string') return a.lit;
  if (a.startsWith('(') && a.endsWith(')')) return evaluate(a.slice(1, -1), scope);
  if (/^".*"$/s.test(a)) return JSON.parse(a) as unknown;
  if (/^`.*`$/s.test(a)) return a.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(a)) return Number(a);
  if (a === 'true' || a === 'false') return a === 'true';
  if (a === 'nil') return undefined;
  if (a === '.') return scope.dot;
  if (a.startsWith('$')) {
    const [name, ...path] = a.split('.');
    if (!scope.vars.has(name)) throw new TemplateError(`undefined variable ${name}`);
    return walk(scope.vars.get(name), path);
  }
  if (a.startsWith('.')) return walk(scope.dot, a.slice(1).split('.'));
  throw new TemplateError(`unsupported template term ${JSON.stringify(a)}`);
}

// Go struct fields (Name, ObjectMeta, ...) resolve to JSON keys; map keys are used as given.
function walk(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const o = cur as Record<string, unknown>;
    if (key in o) cur = o[key];
    else cur = o[key.charAt(0).toLowerCase() + key.slice(1)];
  }
  return cur;
}

const FUNCS: Record<string, (a: unknown[]) => unknown> = {
  index: ([m, ...keys]) => keys.reduce<unknown>((acc, k) => walk(acc, [String(k)]), m),
  default: ([d, v]) => (truthy(v) ? v : d),
  quote: ([v]) => JSON.stringify(show(v)),
  not: ([v]) => !truthy(v),
  eq: ([a, ...bs]) => bs.some((b) => a === b),
  ne: ([a, b]) => a !== b,
  and: (xs) => xs.find((x) => !truthy(x)) ?? xs[xs.length - 1],
  or: (xs) => xs.find(truthy) ?? xs[xs.length - 1],
  len: ([v]) =>
    Array.isArray(v) || typeof v === 'string'
      ? v.length
      : v && typeof v === 'object'
        ? Object.keys(v).length
        : 0,
  toLower: ([v]) => show(v).toLowerCase(),
  toUpper: ([v]) => show(v).toUpperCase(),
};

function splitTop(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of s) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if ((sep === ' ' ? /\s/.test(ch) : ch === sep) && depth === 0) {
      parts.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur.trim());
  return parts;
}

function splitArgs(s: string): Arg[] {
  return splitTop(s, ' ').filter((x) => x !== '');
}
