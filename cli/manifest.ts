// `meshwright manifest generate`: renders IstioOperator files (+ --set flags) to the objects an install
// applies, printed as one YAML stream in apply order. Invalid input exits non-zero with the reason.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseFlags, usage, UsageError, type FlagSpec } from '../lib/flags';
import { mergeSpecs } from '../operator/api/resolve';
import { IOP_API_VERSION, IOP_KIND, type IstioOperator, type IstioOperatorSpec } from '../operator/api/types';
import { parseIstioOperator } from '../operator/api/validate';
import { applyOrder, render } from '../operator/render';
import { loadCrds } from '../operator/render/load-crds';
import { toYamlStream } from '../operator/render/stream';
import type { Command } from './commands';

const SUMMARY = 'Print the objects an IstioOperator renders to, in apply order';

const FLAGS: Record<string, FlagSpec> = {
  filename: {
    kind: 'array',
    alias: 'f',
    help: 'IstioOperator YAML file; repeat to merge several, later wins',
  },
  set: {
    kind: 'array',
    alias: 's',
    help: 'Override a spec field, e.g. values.global.proxy.logLevel=debug (repeatable)',
  },
  revision: {
    kind: 'string',
    alias: 'r',
    help: 'Control-plane revision (names suffixed -REV, labelled istio.io/rev)',
  },
  crds: {
    kind: 'string',
    help: 'Directory of Istio API CRD YAML files the Base component installs (default <install>/crds/istio)',
  },
  help: { kind: 'boolean', alias: 'h', help: 'Show this help' },
};

/** The project root (where package.json is), from the compiled or source location of this file. */
function installRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Reads the one IstioOperator of a YAML text; several documents in one file are refused (as istioctl). */
export function readIstioOperator(text: string, source: string): IstioOperator {
  const values: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new UsageError(`${source}: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  if (values.length === 0) throw new UsageError(`${source}: no IstioOperator document found`);
  if (values.length > 1) {
    throw new Error(
      `${source}: contains ${values.length} documents; only one IstioOperator per file is supported`,
    );
  }
  try {
    return parseIstioOperator(values[0]);
  } catch (err) {
    throw new Error(`${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export interface GenerateOptions {
  /** YAML texts with their names (for messages). */
  files: { name: string; text: string }[];
  setFlags: string[];
  revision?: string;
  crdsDir: string;
}

/** Renders and returns the YAML stream plus render warnings. Throws on invalid input. */
export function generate(opts: GenerateOptions): { yaml: string; warnings: string[] } {
  let spec: IstioOperatorSpec = {};
  let metadata: IstioOperator['metadata'];
  for (const f of opts.files) {
    const iop = readIstioOperator(f.text, f.name);
    spec = mergeSpecs(spec, iop.spec ?? {});
    metadata = iop.metadata ?? metadata;
  }
  const iop: IstioOperator = {
    apiVersion: IOP_API_VERSION,
    kind: IOP_KIND,
    spec,
    ...(metadata ? { metadata } : {}),
  };
  const manifest = render(iop, {
    crds: loadCrds(opts.crdsDir),
    setFlags: opts.setFlags,
    revision: opts.revision,
  });
  return { yaml: toYamlStream(applyOrder(manifest)), warnings: manifest.warnings };
}

export const manifestGenerate: Command = {
  name: 'manifest generate',
  summary: SUMMARY,
  async run(argv: string[]): Promise<number> {
    const { flags, positional } = parseFlags(argv, FLAGS);
    if (flags.help) {
      process.stdout.write(usage('manifest generate', SUMMARY, FLAGS));
      return 0;
    }
    if (positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
    const files = (flags.filename as string[]).map((name) => {
      try {
        return { name, text: readFileSync(name, 'utf8') };
      } catch (err) {
        throw new UsageError(`cannot read ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    const crdsDir =
      typeof flags.crds === 'string' ? resolve(flags.crds) : join(installRoot(), 'crds', 'istio');
    const revision = typeof flags.revision === 'string' ? flags.revision : undefined;
    const out = generate({ files, setFlags: flags.set as string[], revision, crdsDir });
    for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(out.yaml);
    return 0;
  },
};
