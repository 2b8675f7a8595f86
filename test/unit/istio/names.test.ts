// lib/istio/names.ts is the one home of Istio's annotation and label names: each is a valid Kubernetes
// qualified name, and no shipped source file spells one of Istio's own as a string literal.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ANNOTATIONS, LABELS, PROMETHEUS } from '../../../lib/istio/names';

const ROOT = join(__dirname, '..', '..', '..');
const SOURCE_DIRS = ['cli', 'lib', 'operator', 'webhook', 'inject', 'release'];
const HOME = join('lib', 'istio', 'names.ts');

const ALL = { ...ANNOTATIONS, ...LABELS, ...PROMETHEUS };
// Istio's own keys (other projects' keys the injector reads, like kubectl's, are not Istio's to define).
// Quoted literals count; `code` in comments does not.
const ISTIO_NAMES = [...new Set(Object.values(ALL))].filter((v) => /istio/.test(v));

// Kubernetes qualified name: optional DNS-subdomain prefix and '/', then a name of at most 63 characters.
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'more than one /';
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) return `bad prefix ${prefix}`;
  if (!name || name.length > 63 || !NAME.test(name)) return `bad name ${name}`;
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('Istio names', () => {
  it('are valid Kubernetes qualified names', () => {
    const problems = Object.entries(ALL)
      .map(([k, v]) => [k, qualifiedNameProblem(v)] as const)
      .filter(([, p]) => p !== undefined);
    expect(problems).toEqual([]);
    expect(ISTIO_NAMES).toEqual(
      expect.arrayContaining(['sidecar.istio.io/status', 'istio.io/rev', 'istio-injection']),
    );
  });

  it('flags a name that is not one', () => {
    expect(qualifiedNameProblem('sidecar.istio.io/status')).toBeUndefined();
    expect(qualifiedNameProblem('Bad_Prefix.io/x')).toBe('bad prefix Bad_Prefix.io');
    expect(qualifiedNameProblem('a/b/c')).toBe('more than one /');
    expect(qualifiedNameProblem('x.io/-start')).toBe('bad name -start');
  });

  it('are spelled as string literals only in lib/istio/names.ts', () => {
    const literals = ISTIO_NAMES.flatMap((n) => [`'${n}'`, `"${n}"`]);
    const offenders: string[] = [];
    for (const file of SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d)))) {
      const path = relative(ROOT, file);
      if (path === HOME) continue;
      const text = readFileSync(file, 'utf8');
      for (const l of literals) if (text.includes(l)) offenders.push(`${path}: ${l}`);
    }
    expect(offenders).toEqual([]);
  });
});
