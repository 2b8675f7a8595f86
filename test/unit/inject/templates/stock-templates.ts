// The stock injection templates exactly as the istio-discovery chart writes them into the
// `istio-sidecar-injector` ConfigMap, rendered with the pinned Helm from ../shared/reference at test
// time (never committed). Cached per version in a temp dir so the test files share one render.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const VERSIONS = ['1.30.3', '1.31.0-rc.0'] as const;
export const REFERENCE = join(__dirname, '..', '..', '..', '..', '..', 'shared', 'reference');
export const CONFORMANCE = join(__dirname, '..', '..', '..', '..', '..', 'shared', 'conformance');

export function helmBinary(): string {
  const bin =
    process.env.MESHWRIGHT_HELM ?? join(homedir(), '.cache', 'meshwright', 'bin', 'helm-v4.3.2', 'helm');
  if (!existsSync(bin))
    throw new Error(`Helm not found at ${bin}: run hack/build-helm.sh (or set MESHWRIGHT_HELM)`);
  return bin;
}

export interface InjectorConfigMap {
  /** The ConfigMap's `config` key, verbatim. */
  config: string;
  /** Its `values` key. */
  values: string;
  templates: Record<string, string>;
}

/** The default revision's injector ConfigMap as `helm template` renders the istio-discovery chart. */
export function stockInjectorConfigMap(version: string): InjectorConfigMap {
  const dir = join(tmpdir(), 'meshwright-stock-templates');
  const file = join(dir, `${version}.json`);
  if (!existsSync(file)) {
    const chart = join(
      REFERENCE,
      `istio-${version}`,
      'manifests',
      'charts',
      'istio-control',
      'istio-discovery',
    );
    const out = execFileSync(helmBinary(), ['template', 'istiod', chart, '--namespace', 'istio-system'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const cm = parseAllDocuments(out)
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> })
      .find((d) => d?.kind === 'ConfigMap' && d.metadata?.name === 'istio-sidecar-injector');
    if (!cm?.data?.config) throw new Error(`chart ${version}: no istio-sidecar-injector ConfigMap`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify({ config: cm.data.config, values: cm.data.values ?? '{}' }));
  }
  const { config, values } = JSON.parse(readFileSync(file, 'utf8')) as { config: string; values: string };
  const templates = (parse(config) as { templates: Record<string, string> }).templates;
  return { config, values, templates };
}

/** `v` with the keys only `defaults` has added, recursively (objects only; `v` wins everywhere). */
export function fillMissing(v: unknown, defaults: unknown): unknown {
  const isObj = (x: unknown): x is Record<string, unknown> =>
    x !== null && typeof x === 'object' && !Array.isArray(x);
  if (!isObj(v) || !isObj(defaults)) return v === undefined ? defaults : v;
  const out: Record<string, unknown> = { ...v };
  for (const [k, d] of Object.entries(defaults)) out[k] = k in v ? fillMissing(v[k], d) : d;
  return out;
}
