// Just enough of a Dockerfile and .dockerignore reader to check the image's build against the repository
// without Docker: instructions by stage (continuation lines joined, comments dropped), ARG defaults, and
// Docker's ignore rules (globs, `**`, `!` exceptions, the last matching rule wins, a rule on a directory
// covers what is under it). Pure.

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ENV, ... */
  op: string;
  /** The rest of the line, continuations joined with spaces. */
  args: string;
}

export interface Stage {
  /** `AS <name>`, or the stage's index for an unnamed one. */
  name: string;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) && pending === '') continue;
    if (/^\s*#/.test(raw)) continue; // a comment inside a continued instruction
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const whole = (pending + line.trim()).trim();
    pending = '';
    if (whole !== '') lines.push(whole);
  }
  const out: Dockerfile = { globalArgs: {}, stages: [] };
  for (const line of lines) {
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const ins: Instruction = { op: m[1]!.toUpperCase(), args: m[2] ?? '' };
    if (ins.op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins.args)!;
      out.stages.push({ name: f[2] ?? String(out.stages.length), from: f[1]!, instructions: [] });
    } else if (out.stages.length === 0) {
      if (ins.op === 'ARG') {
        const [k, v] = splitAssignment(ins.args);
        out.globalArgs[k] = v ?? '';
      }
    } else out.stages[out.stages.length - 1]!.instructions.push(ins);
  }
  return out;
}

function splitAssignment(s: string): [string, string | undefined] {
  const i = s.indexOf('=');
  return i < 0 ? [s.trim(), undefined] : [s.slice(0, i).trim(), s.slice(i + 1).trim()];
}

/** `ENV A=1 B=2` (the key=value form only) of a stage, in order. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions.filter((i) => i.op === 'ENV'))
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g))
      env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  return env;
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

/** A stage's COPY instructions: `--from=<stage>` (else the build context), sources and destination. */
export function stageCopies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const rest = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { ...(from ? { from } : {}), sources: rest.slice(0, -1), dest: rest[rest.length - 1]! };
    });
}

/** The stage's WORKDIR in force at the end (absolute destinations of relative COPYs start there). */
export function stageWorkdir(stage: Stage): string {
  return stage.instructions.filter((i) => i.op === 'WORKDIR').pop()?.args ?? '/';
}

interface IgnoreRule {
  exclude: boolean;
  re: RegExp;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const exclude = !l.startsWith('!');
      const pattern = (exclude ? l : l.slice(1)).replace(/^\/+/, '').replace(/\/+$/, '');
      return { exclude, re: globToRegExp(pattern) };
    });
}

/** Whether Docker leaves `path` (relative to the context root) out of the build context. */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.replace(/^\.\//, '').replace(/\/+$/, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const r of rules) if (prefixes.some((p) => r.re.test(p))) ignored = r.exclude;
  return ignored;
}
