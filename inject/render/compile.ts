// Go text/template compiler: parses template text once into closures, so executing it per pod is only
// closure calls. Covers the language of text/template (actions, pipelines, variables, if/else if/with/
// range with else, break/continue, define/template/block, parenthesized pipelines, field chains).
// Unknown functions, undefined variables and syntax errors fail at compile time, like Go's Parse.
import { lex, TemplateError, type Token } from './lex';
import { field, fmtValue, goTypeName, isObj, printValue, truth } from './values';

export { TemplateError };

/** A template function: receives evaluated arguments, returns a value or throws TemplateError. */
export type GoFunc = (...args: unknown[]) => unknown;
export type FuncMap = Readonly<Record<string, GoFunc>>;

interface State {
  out: string;
  vars: { name: string; value: unknown }[];
  templates: Map<string, Exec>;
  depth: number;
}

type Exec = (st: State, dot: unknown) => void;
type Eval = (st: State, dot: unknown) => unknown;
/** A command: evaluated with the previous command's result (`final`) or without one. */
type Cmd = (st: State, dot: unknown, final: unknown, hasFinal: boolean) => unknown;

// Go allows 100000 nested template calls; a JavaScript stack holds fewer, so the limit is lower.
const MAX_DEPTH = 1000;

class Break {}
class Continue {}
const BREAK = new Break();
const CONTINUE = new Continue();

/** A compiled template set: the main template and its `define`d templates. */
export class CompiledTemplate {
  constructor(
    readonly name: string,
    private readonly main: Exec,
    private readonly templates: Map<string, Exec>,
  ) {}

  execute(data: unknown): string {
    const st: State = { out: '', vars: [{ name: '$', value: data }], templates: this.templates, depth: 0 };
    try {
      this.main(st, data);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      if (e instanceof RangeError) throw new TemplateError(`template: ${this.name}: ${e.message}`);
      throw e;
    }
    return st.out;
  }

  /** Names of the templates defined in the text (for reports). */
  defined(): string[] {
    return [...this.templates.keys()].filter((n) => n !== this.name);
  }
}

/** Parses `src` with the given functions; throws TemplateError naming the line of any problem. */
export function compileTemplate(name: string, src: string, funcs: FuncMap): CompiledTemplate {
  const templates = new Map<string, Exec>();
  const p = new Parser(name, lex(src, name), funcs, templates);
  const main = p.parseMain();
  // A define of the template's own name replaces its body (Go: the last definition wins).
  if (!templates.has(name)) templates.set(name, main);
  return new CompiledTemplate(name, templates.get(name) ?? main, templates);
}

interface Branch {
  body: Exec;
  end: 'end' | 'else' | 'elseif' | 'elsewith' | 'eof';
}

class Parser {
  private pos = 0;
  private scopes: string[][] = [['$']];
  private loops = 0;

  constructor(
    private readonly name: string,
    private readonly toks: Token[],
    private readonly funcs: FuncMap,
    private readonly templates: Map<string, Exec>,
  ) {}

  private fail(msg: string, t: Token | undefined = this.toks[this.pos]): never {
    throw new TemplateError(`template: ${this.name}:${t?.line ?? 0}: ${msg}`);
  }

  private peek(k = 0): Token | undefined {
    return this.toks[this.pos + k];
  }

  private next(): Token {
    const t = this.toks[this.pos++];
    if (!t) this.fail('unexpected EOF');
    return t;
  }

  private expect(kind: Token['kind'], what: string): Token {
    const t = this.next();
    if (t.kind !== kind) this.fail(`unexpected ${JSON.stringify(t.text)} in ${what}`, t);
    return t;
  }

  parseMain(): Exec {
    const b = this.parseList();
    if (b.end !== 'eof') this.fail(`unexpected {{${b.end === 'end' ? 'end' : 'else'}}}`);
    return b.body;
  }

  // Items up to {{end}}, {{else ...}} or the end of input; the terminating action is consumed except
  // for the pipeline of `else if` / `else with`.
  private parseList(): Branch {
    const items: Exec[] = [];
    for (;;) {
      const t = this.peek();
      if (!t) return { body: seq(items), end: 'eof' };
      if (t.kind === 'text') {
        this.pos++;
        const text = t.text;
        items.push((st) => {
          st.out += text;
        });
        continue;
      }
      this.pos++; // {{
      const kw = this.peek();
      if (kw?.kind === 'ident') {
        switch (kw.text) {
          case 'end':
            this.pos++;
            this.expect('close', 'end');
            return { body: seq(items), end: 'end' };
          case 'else': {
            this.pos++;
            const n = this.peek();
            if (n?.kind === 'ident' && (n.text === 'if' || n.text === 'with')) {
              this.pos++;
              return { body: seq(items), end: n.text === 'if' ? 'elseif' : 'elsewith' };
            }
            this.expect('close', 'else');
            return { body: seq(items), end: 'else' };
          }
          case 'if':
          case 'with':
            this.pos++;
            items.push(this.parseConditional(kw.text));
            continue;
          case 'range':
            this.pos++;
            items.push(this.parseRange());
            continue;
          case 'define':
            this.pos++;
            this.parseDefine();
            continue;
          case 'block':
            this.pos++;
            items.push(this.parseBlock());
            continue;
          case 'template':
            this.pos++;
            items.push(this.parseTemplateCall());
            continue;
          case 'break':
          case 'continue': {
            this.pos++;
            if (this.loops === 0) this.fail(`{{${kw.text}}} outside {{range}}`, kw);
            this.expect('close', kw.text);
            const signal = kw.text === 'break' ? BREAK : CONTINUE;
            items.push(() => {
              throw signal;
            });
            continue;
          }
        }
      }
      const pipe = this.parsePipeline('command', true);
      this.expect('close', 'command');
      if (pipe.declares) {
        const run = pipe.run;
        items.push((st, dot) => {
          run(st, dot);
        });
      } else {
        const run = pipe.run;
        items.push((st, dot) => {
          st.out += printValue(run(st, dot));
        });
      }
    }
  }

  // if/with (and their else-if/else-with chains): the pipeline's variables live until {{end}}.
  private parseConditional(kind: string): Exec {
    this.scopes.push([]);
    const pipe = this.parsePipeline(kind, true);
    this.expect('close', kind);
    const then = this.parseList();
    let alt: Exec | undefined;
    if (then.end === 'else') {
      const e = this.parseList();
      if (e.end !== 'end') this.fail(`expected {{end}} after {{else}} of {{${kind}}}`);
      alt = e.body;
    } else if (then.end === 'elseif' || then.end === 'elsewith') {
      // `{{else if x}}...{{end}}` is `{{else}}{{if x}}...{{end}}{{end}}` sharing one {{end}}.
      alt = this.parseConditional(then.end === 'elseif' ? 'if' : 'with');
    } else if (then.end !== 'end') {
      this.fail(`missing {{end}} for {{${kind}}}`);
    }
    this.scopes.pop();
    const run = pipe.run;
    const body = then.body;
    const isWith = kind === 'with';
    return (st, dot) => {
      const mark = st.vars.length;
      const v = run(st, dot);
      if (truth(v)) body(st, isWith ? v : dot);
      else if (alt) alt(st, dot);
      st.vars.length = mark;
    };
  }

  private parseRange(): Exec {
    this.scopes.push([]);
    // `range $i, $v := pipeline` or `range $v := pipeline` or `range pipeline`.
    let keyVar: string | undefined;
    let valVar: string | undefined;
    if (this.peek()?.kind === 'var') {
      const a = this.peek();
      const b = this.peek(1);
      if (b?.kind === 'comma' && this.peek(2)?.kind === 'var' && this.isDecl(this.peek(3))) {
        keyVar = a?.text;
        valVar = this.peek(2)?.text;
        this.pos += 4;
      } else if (this.isDecl(b)) {
        valVar = a?.text;
        this.pos += 2;
      }
    }
    const pipe = this.parsePipeline('range', false);
    this.expect('close', 'range');
    const scope = this.scopes[this.scopes.length - 1];
    if (keyVar) scope.push(keyVar);
    if (valVar) scope.push(valVar);
    this.loops++;
    const body = this.parseList();
    this.loops--;
    let alt: Exec | undefined;
    if (body.end === 'else') {
      const e = this.parseList();
      if (e.end !== 'end') this.fail('expected {{end}} after {{else}} of {{range}}');
      alt = e.body;
    } else if (body.end !== 'end') {
      this.fail('missing {{end}} for {{range}}');
    }
    this.scopes.pop();
    const run = pipe.run;
    const exec = body.body;
    const iterate = (st: State, k: unknown, v: unknown, mark: number): boolean => {
      st.vars.length = mark;
      if (keyVar) st.vars.push({ name: keyVar, value: k });
      if (valVar) st.vars.push({ name: valVar, value: keyVar ? v : v });
      try {
        exec(st, v);
      } catch (e) {
        if (e === BREAK) return false;
        if (e !== CONTINUE) throw e;
      }
      return true;
    };
    return (st, dot) => {
      const mark = st.vars.length;
      const v = run(st, dot);
      let any = false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          any = true;
          if (!iterate(st, i, v[i], mark)) break;
        }
      } else if (isObj(v)) {
        for (const k of Object.keys(v).sort()) {
          any = true;
          if (!iterate(st, k, v[k], mark)) break;
        }
      } else if (typeof v === 'number') {
        if (!Number.isInteger(v)) throw new TemplateError(`range can't iterate over ${fmtValue(v)}`);
        for (let i = 0; i < v; i++) {
          any = true;
          if (!iterate(st, i, i, mark)) break;
        }
      } else if (v !== undefined && v !== null && v !== '' && v !== false) {
        throw new TemplateError(`range can't iterate over ${fmtValue(v)}`);
      }
      st.vars.length = mark;
      if (!any && alt) alt(st, dot);
      st.vars.length = mark;
    };
  }

  private isDecl(t: Token | undefined): boolean {
    return t?.kind === 'declare' || t?.kind === 'assign';
  }

  private parseDefine(): void {
    const nameTok = this.expect('string', 'define clause');
    this.expect('close', 'define clause');
    const saved = this.scopes;
    const savedLoops = this.loops;
    this.scopes = [['$']];
    this.loops = 0;
    const b = this.parseList();
    if (b.end !== 'end') this.fail(`missing {{end}} for {{define ${nameTok.text}}}`);
    this.scopes = saved;
    this.loops = savedLoops;
    this.templates.set(String(nameTok.value), b.body);
  }

  private parseBlock(): Exec {
    const nameTok = this.expect('string', 'block clause');
    const pipe = this.parsePipeline('block', false);
    this.expect('close', 'block clause');
    const saved = this.scopes;
    this.scopes = [['$']];
    const b = this.parseList();
    this.scopes = saved;
    if (b.end !== 'end') this.fail(`missing {{end}} for {{block ${nameTok.text}}}`);
    const name = String(nameTok.value);
    this.templates.set(name, b.body);
    return this.invoke(name, pipe.run, nameTok);
  }

  private parseTemplateCall(): Exec {
    const nameTok = this.expect('string', 'template clause');
    let run: Eval | undefined;
    if (this.peek()?.kind !== 'close') run = this.parsePipeline('template clause', false).run;
    this.expect('close', 'template clause');
    return this.invoke(String(nameTok.value), run, nameTok);
  }

  // Templates may be defined after use; the lookup happens at run time, the existence check after parsing.
  private invoke(name: string, run: Eval | undefined, at: Token): Exec {
    const templates = this.templates;
    const where = `template: ${this.name}:${at.line}`;
    return (st, dot) => {
      const t = templates.get(name);
      if (!t) throw new TemplateError(`${where}: no such template ${JSON.stringify(name)}`);
      const arg = run ? run(st, dot) : null;
      if (++st.depth > MAX_DEPTH) throw new TemplateError(`${where}: exceeded maximum template depth`);
      const saved = st.vars;
      st.vars = [{ name: '$', value: arg }];
      try {
        t(st, arg);
      } finally {
        st.vars = saved;
        st.depth--;
      }
    };
  }

  // pipeline := [decl] command ('|' command)*
  private parsePipeline(ctx: string, allowDecl: boolean): { run: Eval; declares: boolean } {
    let decl: { name: string; assign: boolean } | undefined;
    const t0 = this.peek();
    if (allowDecl && t0?.kind === 'var' && this.isDecl(this.peek(1))) {
      const assign = this.peek(1)?.kind === 'assign';
      if (assign && !this.visible(t0.text)) this.fail(`undefined variable ${JSON.stringify(t0.text)}`, t0);
      decl = { name: t0.text, assign };
      this.pos += 2;
    }
    const cmds: Cmd[] = [];
    for (;;) {
      cmds.push(this.parseCommand(ctx));
      if (this.peek()?.kind === 'pipe') {
        this.pos++;
        continue;
      }
      break;
    }
    if (decl && !decl.assign) this.scopes[this.scopes.length - 1].push(decl.name);
    const run: Eval =
      cmds.length === 1
        ? (st, dot) => cmds[0](st, dot, undefined, false)
        : (st, dot) => {
            let v = cmds[0](st, dot, undefined, false);
            for (let i = 1; i < cmds.length; i++) v = cmds[i](st, dot, v, true);
            return v;
          };
    if (!decl) return { run, declares: false };
    const { name, assign } = decl;
    return {
      declares: true,
      run: assign
        ? (st, dot) => {
            const v = run(st, dot);
            setVar(st, name, v);
            return v;
          }
        : (st, dot) => {
            const v = run(st, dot);
            st.vars.push({ name, value: v });
            return v;
          },
    };
  }

  private visible(name: string): boolean {
    return this.scopes.some((s) => s.includes(name));
  }

  // command := operand+ ; the first operand decides: function call, or a value taking no arguments.
  private parseCommand(ctx: string): Cmd {
    const first = this.peek();
    if (!first || first.kind === 'close' || first.kind === 'pipe' || first.kind === 'rparen') {
      this.fail(`missing value for ${ctx}`, first);
    }
    if (first.kind === 'ident' && !this.peekChained(1)) {
      this.pos++;
      const args = this.parseOperands();
      return this.functionCall(first, args);
    }
    const head = this.parseOperand();
    const rest = this.parseOperands();
    if (rest.length) {
      const where = `template: ${this.name}:${first.line}`;
      return () => {
        throw new TemplateError(`${where}: can't give argument to non-function ${first.text}`);
      };
    }
    const where = `template: ${this.name}:${first.line}`;
    return (st, dot, _final, hasFinal) => {
      if (hasFinal) throw new TemplateError(`${where}: can't give argument to non-function ${first.text}`);
      return head(st, dot);
    };
  }

  private peekChained(k: number): boolean {
    const t = this.peek(k);
    return t?.kind === 'field' && t.adj;
  }

  private parseOperands(): Eval[] {
    const out: Eval[] = [];
    for (;;) {
      const t = this.peek();
      if (!t || t.kind === 'close' || t.kind === 'pipe' || t.kind === 'rparen') return out;
      out.push(this.parseOperand());
    }
  }

  // operand := term ('.' Field)*
  private parseOperand(): Eval {
    const t = this.next();
    let ev: Eval;
    switch (t.kind) {
      case 'dot':
        ev = (_st, dot) => dot;
        break;
      case 'field': {
        // `.A.B.C` on dot.
        const path = [t.text, ...this.chain()];
        return (_st, dot) => walk(dot, path);
      }
      case 'var': {
        if (!this.visible(t.text)) this.fail(`undefined variable ${JSON.stringify(t.text)}`, t);
        const name = t.text;
        ev = (st) => getVar(st, name);
        break;
      }
      case 'string':
      case 'number':
      case 'char':
      case 'bool': {
        const v = t.value;
        ev = () => v;
        break;
      }
      case 'nil':
        ev = () => null;
        break;
      case 'ident': {
        // A function used as an argument is called with no arguments.
        const call = this.functionCall(t, []);
        ev = (st, dot) => call(st, dot, undefined, false);
        break;
      }
      case 'lparen': {
        const inner = this.parsePipeline('parenthesized pipeline', false);
        this.expect('rparen', 'parenthesized pipeline');
        ev = inner.run;
        break;
      }
      default:
        this.fail(`unexpected ${JSON.stringify(t.text)} in operand`, t);
    }
    const path = this.chain();
    if (!path.length) return ev;
    return (st, dot) => walk(ev(st, dot), path);
  }

  private chain(): string[] {
    const out: string[] = [];
    while (this.peekChained(0)) out.push(this.next().text);
    return out;
  }

  private functionCall(t: Token, args: Eval[]): Cmd {
    const name = t.text;
    const where = `template: ${this.name}:${t.line}`;
    if (name === 'and' || name === 'or') {
      const isAnd = name === 'and';
      // Short-circuit: arguments are evaluated left to right until the result is known.
      return (st, dot, final, hasFinal) => {
        const n = args.length + (hasFinal ? 1 : 0);
        if (n < 1)
          throw new TemplateError(`${where}: wrong number of args for ${name}: want at least 1 got 0`);
        let v: unknown;
        for (let i = 0; i < n; i++) {
          v = i < args.length ? args[i](st, dot) : final;
          if (truth(v) !== isAnd) return v;
        }
        return v;
      };
    }
    const fn = Object.hasOwn(this.funcs, name) ? this.funcs[name] : undefined;
    if (!fn) this.fail(`function ${JSON.stringify(name)} not defined`, t);
    return (st, dot, final, hasFinal) => {
      const vals = new Array<unknown>(args.length + (hasFinal ? 1 : 0));
      for (let i = 0; i < args.length; i++) vals[i] = args[i](st, dot);
      if (hasFinal) vals[args.length] = final;
      try {
        return fn(...vals);
      } catch (e) {
        if (e instanceof TemplateError && !e.message.startsWith('template: ')) {
          throw new TemplateError(`${where}: error calling ${name}: ${e.message}`);
        }
        throw e;
      }
    };
  }
}

function walk(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path) cur = field(cur, p);
  return cur;
}

function getVar(st: State, name: string): unknown {
  for (let i = st.vars.length - 1; i >= 0; i--) if (st.vars[i].name === name) return st.vars[i].value;
  throw new TemplateError(`undefined variable: ${name}`);
}

function setVar(st: State, name: string, value: unknown): void {
  for (let i = st.vars.length - 1; i >= 0; i--) {
    if (st.vars[i].name === name) {
      st.vars[i].value = value;
      return;
    }
  }
  throw new TemplateError(`undefined variable: ${name}`);
}

function seq(items: Exec[]): Exec {
  if (items.length === 0) return () => undefined;
  if (items.length === 1) return items[0];
  return (st, dot) => {
    for (let i = 0; i < items.length; i++) items[i](st, dot);
  };
}

export { goTypeName };
