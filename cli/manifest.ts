// `meshwright manifest generate`: renders IstioOperator files (+ --set flags) through the Istio release's own
// charts with the real Helm, as that release's `istioctl manifest generate` does, and prints the objects
// Meshwright installs in the order the operator applies them (`--order=istioctl`: istioctl's print order,
// to diff against `istioctl manifest generate`). The release: the version from the IstioOperator's tag
// (release/version.ts) or --istio-version, from the release source of RELEASE_FLAGS (docs/release.md).
// Invalid input exits 1 with the reason; usage errors exit 2.
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { parseFlags, usage, UsageError, type FlagSpec } from '../lib/flags';
import { IOP_INPUT_FLAGS } from './iop-flags';
import { isPlainObject, type PlainObject } from '../lib/istio/merge';
import { render } from '../operator/render/charts/render';
import { mergeFrom, setSpecPaths } from '../operator/render/charts/values-map';
import { HelmProcessRenderer, helmBinary } from '../operator/render/helm/helm-process';
import { installOrder } from '../operator/controller/apply/order';
import { RELEASE_FLAGS } from '../release/flags';
import { createReleaseProvider } from '../release/index';
import type { Release, ReleaseProvider } from '../release/types';
import { releaseVersionOf } from '../release/version';
import type { IstioOperator } from '../operator/api/types';
import { parseIstioOperator } from '../operator/api/validate';
import type { Command } from './commands';
import { releaseSourceFrom } from './release-source';
import { errorMessage } from '../lib/errors';

const SUMMARY = "Print the objects an IstioOperator renders to through its Istio release's charts";

/** The release rendered when the IstioOperator names none (its tag is no version) and no flag does. */
export const DEFAULT_ISTIO_VERSION = '1.30.3';

const FLAGS: Record<string, FlagSpec> = {
  ...IOP_INPUT_FLAGS,
  force: { kind: 'boolean', help: 'Render even if validation fails (errors become warnings)' },
  ...RELEASE_FLAGS,
  'istio-version': {
    kind: 'string',
    help: "Istio version to render (default: from the spec's tag, else 1.30.3)",
  },
  helm: { kind: 'string', help: 'The helm binary (default $MESHWRIGHT_HELM, else helm on PATH)' },
  order: {
    kind: 'string',
    help: "Print order: install (the operator's apply order: stages, then kinds; default) or istioctl (istioctl manifest generate's order, for diffing)",
  },
  'profile-images': {
    kind: 'boolean',
    help: "Keep the profile's hub/tag instead of docker.io/istio:<version> (as a development istioctl)",
  },
  help: { kind: 'boolean', alias: 'h', help: 'Show this help' },
};

/** The IstioOperator of one file as a map; several documents in one file are refused (as istioctl). */
export function readIstioOperatorDoc(text: string, source: string): PlainObject {
  const values: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new UsageError(`${source}: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  if (values.length > 1) {
    throw new Error(`${source}: contains multiple IstioOperator CRs, only one per file is supported`);
  }
  if (values.length === 0) return {};
  if (!isPlainObject(values[0])) throw new Error(`${source}: an IstioOperator must be a map`);
  return values[0];
}

/** One file's IstioOperator, typed, for commands that need exactly one (`install`): an empty file is refused. */
export function readIstioOperator(text: string, source: string): IstioOperator {
  const doc = readIstioOperatorDoc(text, source);
  if (Object.keys(doc).length === 0) throw new UsageError(`${source}: no IstioOperator document found`);
  try {
    return parseIstioOperator(doc);
  } catch (err) {
    throw new Error(`${source}: ${errorMessage(err)}`);
  }
}

export interface GenerateOptions {
  /** YAML texts with their names (for messages). */
  readonly files: readonly { name: string; text: string }[];
  readonly setFlags: readonly string[];
  readonly revision?: string;
  readonly force?: boolean;
  /** Where releases come from (RELEASE_FLAGS through createReleaseProvider). */
  readonly releases: ReleaseProvider;
  readonly istioVersion?: string;
  readonly helm: string;
  /** Keep the profile's hub/tag (a development istioctl) instead of docker.io/istio:<version>. */
  readonly profileImages?: boolean;
  /** Print order: the operator's install order (default) or istioctl's. */
  readonly order?: PrintOrder;
}

export type PrintOrder = 'install' | 'istioctl';

/** `--order`'s value; undefined means the default. */
export function parsePrintOrder(v: unknown): PrintOrder {
  if (v === undefined || v === 'install' || v === 'istioctl') return v ?? 'install';
  throw new UsageError(`--order must be install or istioctl, got ${JSON.stringify(v)}`);
}

/** Which release the inputs ask for, under release/version.ts's rule (spec.tag after merging files). */
export async function chooseRelease(
  docs: readonly PlainObject[],
  setFlags: readonly string[],
  opts: Pick<GenerateOptions, 'releases' | 'istioVersion'>,
): Promise<Release> {
  const user: PlainObject = { spec: {} };
  for (const d of docs) mergeFrom(user, d);
  try {
    setSpecPaths(user, setFlags);
  } catch {
    // A bad --set is reported by render() with the flag named; it names no version here.
  }
  const { version } = releaseVersionOf(user, DEFAULT_ISTIO_VERSION, opts.istioVersion);
  return opts.releases.resolve(version);
}

/** Renders and returns the YAML stream plus warnings. Throws on invalid input. */
export async function generate(
  opts: GenerateOptions,
): Promise<{ yaml: string; warnings: string[]; release: Release }> {
  const docs = opts.files.map((f) => readIstioOperatorDoc(f.text, f.name));
  const release = await chooseRelease(docs, opts.setFlags, opts);
  const manifest = await render(docs, release, new HelmProcessRenderer({ binary: opts.helm }), {
    setFlags: opts.setFlags,
    revision: opts.revision,
    force: opts.force,
    imageDefaults: opts.profileImages ? undefined : { hub: 'docker.io/istio', tag: release.version },
  });
  // render() lists objects in istioctl's order; the operator applies per stage and kind.
  const objects = opts.order === 'istioctl' ? manifest.objects : installOrder(manifest.components);
  const yaml = objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  const warnings = [
    ...manifest.warnings,
    ...manifest.omitted.map((o) => `not rendered: ${o.kind} ${o.name} (${o.reason})`),
  ];
  return { yaml, warnings, release };
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
        throw new UsageError(`cannot read ${name}: ${errorMessage(err)}`);
      }
    });
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const out = await generate({
      files,
      setFlags: flags.set as string[],
      revision: str(flags.revision),
      force: flags.force === true,
      releases: createReleaseProvider(releaseSourceFrom(flags).options),
      istioVersion: str(flags['istio-version']),
      helm: str(flags.helm) ?? helmBinary(),
      profileImages: flags['profile-images'] === true,
      order: parsePrintOrder(flags.order),
    });
    for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(`# Istio ${out.release.version} (${out.release.source})\n`);
    process.stdout.write(out.yaml);
    return 0;
  },
};
