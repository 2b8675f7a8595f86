// Reading multi-document YAML files as decoded objects.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export function readDocs(path: string): unknown[] {
  return parseDocs(readFileSync(path, 'utf8'));
}

export function parseDocs(text: string): unknown[] {
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  if (!Array.isArray(docs)) return [];
  const out: unknown[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`YAML: ${d.errors[0].message}`);
    const v: unknown = d.toJS({ maxAliasCount: -1 });
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}
