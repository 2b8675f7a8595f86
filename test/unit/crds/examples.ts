// Istio example objects the CRDs must accept: the examples embedded in ../shared/seeds (prose
// pages with YAML snippets) and the Bookinfo networking samples. Shared with the integration test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { ISTIO_REF_DIR, SHARED_DIR, parseYamlDocuments } from './crd-files';

export const ISTIO_GROUPS = ['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io'];
export const SEED_FIXTURE = path.join(__dirname, 'fixtures/seed-examples.yaml');

export interface ExampleObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Example {
  /** Where it came from, for messages: file (and line for seeds). */
  source: string;
  object: ExampleObject;
}

/** A seed snippet: the lines from an Istio `apiVersion:` line to the end of the file. */
export interface SeedSnippet {
  file: string;
  line: number;
  apiVersion: string;
  kind: string;
  name: string;
  /** The snippet's lines up to the first blank line (how the well-indented snippets end). */
  block: string[];
  /** All lines from the apiVersion line to the end of the file. */
  rest: string[];
}

export function groupOf(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function isIstioApiVersion(apiVersion: string): boolean {
  return ISTIO_GROUPS.includes(groupOf(apiVersion));
}

function stripComment(line: string): string {
  // The seeds' comments follow " #" or start the line; none of their values contains " #".
  const i = line.search(/(^|\s)#/);
  return i < 0 ? line : line.slice(0, i);
}

/** A line with comments and indentation removed; empty lines drop out of the comparisons. */
export function normalizeLines(lines: string[]): string[] {
  return lines.map((l) => stripComment(l).trim()).filter((l) => l !== '');
}

function isExampleObject(v: unknown): v is ExampleObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const md = o.metadata;
  return (
    typeof o.apiVersion === 'string' &&
    typeof o.kind === 'string' &&
    typeof md === 'object' &&
    md !== null &&
    typeof (md as Record<string, unknown>).name === 'string'
  );
}

export function seedFiles(): string[] {
  const dir = path.join(SHARED_DIR, 'seeds');
  return fs
    .readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Finds every Istio-API snippet in the seed pages by its apiVersion/kind/name lines. */
export function seedSnippets(): SeedSnippet[] {
  const out: SeedSnippet[] = [];
  for (const file of seedFiles()) {
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    lines.forEach((raw, i) => {
      const m = /^\s*apiVersion:\s*(\S+)/.exec(stripComment(raw));
      if (!m || !isIstioApiVersion(m[1])) return;
      const kind = /^\s*kind:\s*(\S+)/.exec(stripComment(lines[i + 1] ?? ''));
      const rest = lines.slice(i);
      const nameLine = rest.slice(0, 8).find((l) => /^\s*name:\s*\S+/.test(stripComment(l)));
      const name = nameLine ? /^\s*name:\s*(\S+)/.exec(stripComment(nameLine)) : null;
      if (!kind || !name) throw new Error(`${file}:${i + 1}: Istio snippet without kind or metadata.name`);
      const end = rest.findIndex((l) => l.trim() === '');
      out.push({
        file: path.basename(file),
        line: i + 1,
        apiVersion: m[1],
        kind: kind[1],
        name: name[1],
        block: end < 0 ? rest : rest.slice(0, end),
        rest,
      });
    });
  }
  return out;
}

/** Parses a snippet as it stands; undefined unless it yields the snippet's object with a spec. */
export function parseSnippet(s: SeedSnippet): ExampleObject | undefined {
  let value: unknown;
  try {
    value = YAML.parse(s.block.join('\n'));
  } catch {
    return undefined;
  }
  if (!isExampleObject(value)) return undefined;
  const spec = value.spec;
  const ok =
    value.apiVersion === s.apiVersion &&
    value.kind === s.kind &&
    value.metadata.name === s.name &&
    typeof spec === 'object' &&
    spec !== null &&
    Object.keys(spec).length > 0;
  return ok ? value : undefined;
}

/** The re-indented snippets of fixtures/seed-examples.yaml, with their normalized lines. */
export function seedFixtures(): { object: ExampleObject; lines: string[] }[] {
  const text = fs.readFileSync(SEED_FIXTURE, 'utf8');
  const docs = YAML.parseAllDocuments(text);
  return docs.map((d) => {
    const object: unknown = d.toJS();
    if (!isExampleObject(object)) throw new Error(`${SEED_FIXTURE}: document is not a named object`);
    const [start, , end] = d.range;
    const lines = normalizeLines(text.slice(start, end).split('\n')).filter((l) => l !== '---');
    return { object, lines };
  });
}

function sameIdentity(o: ExampleObject, s: SeedSnippet): boolean {
  return o.apiVersion === s.apiVersion && o.kind === s.kind && o.metadata.name === s.name;
}

/**
 * One example per seed snippet: parsed from the seed when its YAML is intact, otherwise its
 * re-indented copy from the fixture, which must consist of exactly the snippet's lines.
 */
export function seedExamples(): Example[] {
  const fixtures = seedFixtures();
  return seedSnippets().map((s) => {
    const source = `seeds/${s.file}:${s.line}`;
    const parsed = parseSnippet(s);
    if (parsed) return { source, object: parsed };
    const fx = fixtures.find((f) => sameIdentity(f.object, s));
    if (!fx) throw new Error(`${source}: ${s.kind} ${s.name} does not parse and has no re-indented fixture`);
    const seedLines = normalizeLines(s.rest).slice(0, fx.lines.length);
    if (JSON.stringify(seedLines) !== JSON.stringify(fx.lines)) {
      throw new Error(`${source}: fixture for ${s.kind} ${s.name} differs from the seed's lines`);
    }
    return { source: `${source} (re-indented)`, object: fx.object };
  });
}

export function bookinfoFiles(): string[] {
  const dir = path.join(ISTIO_REF_DIR, 'samples/bookinfo/networking');
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Every Istio-API document of the Bookinfo networking samples. */
export function bookinfoExamples(): Example[] {
  const out: Example[] = [];
  for (const file of bookinfoFiles()) {
    const docs = parseYamlDocuments(fs.readFileSync(file, 'utf8'), file);
    docs.forEach((d, i) => {
      if (!isExampleObject(d)) throw new Error(`${file} #${i}: not a named Kubernetes object`);
      if (isIstioApiVersion(d.apiVersion)) out.push({ source: `bookinfo/networking/${path.basename(file)}#${i}`, object: d });
    });
  }
  return out;
}
