// Adapter: a release's profiles (`<manifests>/profiles/<name>.yaml`) as the ProfileLookup merge-inputs.ts
// takes. The names are the files; there is no profile table in Meshwright.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isPlainObject } from '../../../lib/istio/merge';
import { ProfileError, type ProfileLookup } from './merge-inputs';

export function releaseProfileNames(manifestsDir: string): string[] {
  const dir = join(manifestsDir, 'profiles');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

export function releaseProfiles(manifestsDir: string): ProfileLookup {
  const cache = new Map<string, string>();
  return (name) => {
    // A profile name is a file name, never a path.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
      throw new ProfileError(name, releaseProfileNames(manifestsDir));
    let text = cache.get(name);
    if (text === undefined) {
      const file = join(manifestsDir, 'profiles', `${name}.yaml`);
      if (!existsSync(file)) throw new ProfileError(name, releaseProfileNames(manifestsDir));
      text = readFileSync(file, 'utf8');
      cache.set(name, text);
    }
    const doc: unknown = parse(text);
    return isPlainObject(doc) ? doc : {};
  };
}

/**
 * The `values.global` fields the release knows: every chart's `global` defaults and every profile's
 * `values.global`. (istioctl checks against its compiled Values type, which these charts are made from.)
 */
export function releaseGlobalFields(manifestsDir: string): Set<string> {
  const fields = new Set<string>();
  const add = (m: unknown): void => {
    if (isPlainObject(m)) for (const k of Object.keys(m)) fields.add(k);
  };
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && e.name !== 'templates' && e.name !== 'files') walk(p);
      else if (e.isFile() && e.name === 'values.yaml') {
        const doc: unknown = parse(readFileSync(p, 'utf8'));
        if (!isPlainObject(doc)) continue;
        add(doc.global);
        const d = doc._internal_defaults_do_not_set;
        if (isPlainObject(d)) add(d.global);
      }
    }
  };
  walk(join(manifestsDir, 'charts'));
  const lookup = releaseProfiles(manifestsDir);
  for (const name of releaseProfileNames(manifestsDir)) {
    const p = lookup(name);
    const spec = p.spec;
    if (isPlainObject(spec) && isPlainObject(spec.values)) add(spec.values.global);
  }
  return fields;
}
