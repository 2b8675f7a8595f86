// The rendered objects as a multi-document YAML stream (what `manifest generate` prints).
import { stringify } from 'yaml';
import type { ManifestObject } from './types';

export function toYamlStream(objects: readonly ManifestObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
