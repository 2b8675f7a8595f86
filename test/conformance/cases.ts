// The conformance directory format: DIR/cases.yaml (defaults + cases) next to the input/want files.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { isPlainObject, type PlainObject } from '../../lib/istio/merge';

export type Mode = 'kube-inject' | 'webhook';

export interface NamespaceDefault {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface SuiteDefaults {
  revision: string;
  nativeSidecars: string;
  kubeletVersions: string[];
  namespaces: NamespaceDefault[];
}

export interface Case {
  name: string;
  category: string;
  input: string;
  want?: string;
  expectedError?: string;
  expectedWarning?: string;
  set: string[];
  iop?: string;
  mesh?: PlainObject;
  nativeSidecars?: string;
  platform?: string;
  /** istiod's COMPLIANCE_POLICY for this case (e.g. `fips-140-3`). */
  compliancePolicy?: string;
  modes: Mode[];
}

export interface Suite {
  dir: string;
  /** The Istio version the suite was taken from ('' when neither its path nor its README says). */
  version: string;
  defaults: SuiteDefaults;
  cases: Case[];
}

export class SuiteFormatError extends Error {}

export function loadSuite(dir: string): Suite {
  const raw: unknown = parse(readFileSync(join(dir, 'cases.yaml'), 'utf8'), { maxAliasCount: -1 });
  if (!isPlainObject(raw) || !Array.isArray(raw.cases))
    throw new SuiteFormatError('cases.yaml: no `cases` list');
  const d = isPlainObject(raw.defaults) ? raw.defaults : {};
  const defaults: SuiteDefaults = {
    revision: str(d.revision) ?? 'default',
    nativeSidecars: str(d.nativeSidecars) ?? 'auto',
    kubeletVersions: list(d.nodes)
      .map((n) => (isPlainObject(n) ? str(n.kubeletVersion) : undefined))
      .filter((v): v is string => v !== undefined),
    namespaces: list(d.namespaces)
      .filter(isPlainObject)
      .map((n) => ({
        name: str(n.name) ?? '',
        labels: strMap(n.labels),
        annotations: strMap(n.annotations),
      })),
  };
  const cases = raw.cases.map((c: unknown, i: number): Case => {
    if (!isPlainObject(c) || typeof c.input !== 'string') {
      throw new SuiteFormatError(`cases.yaml: case #${i + 1} has no input`);
    }
    const modes = list(c.modes).filter((m): m is Mode => m === 'kube-inject' || m === 'webhook');
    return {
      name: str(c.name) ?? `${String(i).padStart(3, '0')}-${c.input}`,
      category: str(c.category) ?? 'uncategorized',
      input: c.input,
      want: str(c.want),
      expectedError: str(c.expectedError),
      expectedWarning: str(c.expectedWarning),
      set: list(c.set).map((s) => String(s)),
      iop: str(c.iop),
      mesh: isPlainObject(c.mesh) ? c.mesh : undefined,
      nativeSidecars: str(c.nativeSidecars),
      platform: str(c.platform),
      compliancePolicy: str(c.compliancePolicy),
      modes: modes.length > 0 ? modes : ['kube-inject'],
    };
  });
  return { dir, version: suiteVersion(dir), defaults, cases };
}

/**
 * The suite's Istio version: from a path component `istio-<version>` (the directory or a parent, as in
 * `../shared/conformance/istio-1.31.0-rc.0/inject`), else from the README's title
 * (`# Istio <version> sidecar-injection conformance cases`); '' when neither names one.
 */
export function suiteVersion(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    const m = /^istio-(v?\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?)$/.exec(basename(d));
    if (m) return m[1];
    if (dirname(d) === d) break;
  }
  const readme = join(dir, 'README.md');
  if (!existsSync(readme)) return '';
  const m = /^#\s*Istio\s+(v?\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?)\b/im.exec(readFileSync(readme, 'utf8'));
  return m ? m[1] : '';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function strMap(v: unknown): Record<string, string> {
  if (!isPlainObject(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}
