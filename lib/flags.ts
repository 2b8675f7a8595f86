// A small, strict command-line flag parser: --name value, --name=value, short aliases, repeated
// flags collected into arrays, booleans. Unknown flags are errors (a typo must not be ignored).

export type FlagKind = 'string' | 'boolean' | 'number' | 'array';

export interface FlagSpec {
  kind: FlagKind;
  alias?: string;
  default?: string | number | boolean | string[];
  help: string;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export class UsageError extends Error {}

export function parseFlags(
  argv: string[],
  spec: Record<string, FlagSpec>,
): { flags: FlagValues; positional: string[] } {
  const flags: FlagValues = {};
  const positional: string[] = [];
  const byAlias = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) {
    if (s.alias) byAlias.set(s.alias, name);
    if (s.default !== undefined) flags[name] = Array.isArray(s.default) ? [...s.default] : s.default;
    else if (s.kind === 'array') flags[name] = [];
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else if (arg.startsWith('-') && arg.length > 1) {
      name = byAlias.get(arg.slice(1));
      if (!name) throw new UsageError(`unknown flag ${arg}`);
    } else {
      positional.push(arg);
      continue;
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown flag --${name}`);
    if (s.kind === 'boolean') {
      flags[name] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`flag --${name} needs a value`);
    if (s.kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n))
        throw new UsageError(`flag --${name}: ${JSON.stringify(value)} is not a number`);
      flags[name] = n;
    } else if (s.kind === 'array') {
      (flags[name] as string[]).push(value);
    } else {
      flags[name] = value;
    }
  }
  return { flags, positional };
}

export function usage(command: string, summary: string, spec: Record<string, FlagSpec>): string {
  const lines = [`Usage: meshwright ${command} [flags]`, '', summary, '', 'Flags:'];
  for (const [name, s] of Object.entries(spec)) {
    const alias = s.alias ? `-${s.alias}, ` : '    ';
    const def = s.default !== undefined && s.default !== '' ? ` (default ${JSON.stringify(s.default)})` : '';
    lines.push(`  ${alias}--${name.padEnd(22)} ${s.help}${def}`);
  }
  return lines.join('\n') + '\n';
}
