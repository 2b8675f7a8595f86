// Adapter: reads the Istio API CRDs the Base component installs from crds/istio/*.yaml. A missing
// directory yields no CRDs (render() then warns) so the CLI works before the CRD files exist.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { isPlainObject } from '../../lib/istio/merge';

export function loadCrds(dir: string): V1CustomResourceDefinition[] {
  if (!existsSync(dir)) return [];
  const out: V1CustomResourceDefinition[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const path = join(dir, file);
    for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
      if (doc.errors.length) throw new Error(`${path}: ${doc.errors[0].message}`);
      const obj: unknown = doc.toJS();
      if (isPlainObject(obj) && obj.kind === 'CustomResourceDefinition')
        out.push(obj as unknown as V1CustomResourceDefinition);
    }
  }
  return out.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}
