// Releases already on local disk, the air-gapped case: one manifests tree given directly (istioctl's
// `--manifests`/`-d`), or a directory of releases laid out as `<dir>/istio-<version>/manifests`
// (`--releases-dir`, MESHWRIGHT_RELEASES_DIR; `../shared/reference` has that layout).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ReleaseError, type Release, type ReleaseProvider } from './types';
import { toError } from '../lib/errors';

/** Throws unless `dir` looks like a manifests tree (charts/ with istio-control, profiles/). */
export function checkManifestsDir(version: string, dir: string, source: string): void {
  for (const sub of ['charts/base', 'charts/istio-control/istio-discovery', 'profiles']) {
    if (!existsSync(join(dir, sub)))
      throw new ReleaseError(version, source, `${dir} is not an Istio manifests tree (no ${sub}/)`);
  }
}

/**
 * A digest over every file of the tree (sorted relative paths and contents), so a changed chart changes
 * the key that renders are cached by.
 */
export function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        hash.update(relative(dir, p)).update('\0');
        hash.update(readFileSync(p)).update('\0');
      }
    }
  };
  walk(dir);
  return `sha256:${hash.digest('hex')}`;
}

/** One manifests tree for one version: what `--manifests DIR` means. */
export function manifestsDirRelease(version: string, dir: string): Release {
  const abs = resolve(dir);
  const source = `dir ${abs}`;
  checkManifestsDir(version, abs, source);
  return { version, manifestsDir: abs, digest: treeDigest(abs), source };
}

/** `<root>/istio-<version>/manifests`; the digest is computed once per version and process. */
export class ReleasesDirProvider implements ReleaseProvider {
  private readonly root: string;
  private readonly known = new Map<string, Release>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  resolve(version: string): Promise<Release> {
    const cached = this.known.get(version);
    if (cached) return Promise.resolve(cached);
    const dir = join(this.root, `istio-${version}`, 'manifests');
    const source = `releases-dir ${this.root}`;
    if (!existsSync(dir)) return Promise.reject(new ReleaseError(version, source, `${dir} does not exist`));
    try {
      checkManifestsDir(version, dir, source);
      const release: Release = { version, manifestsDir: dir, digest: treeDigest(dir), source };
      this.known.set(version, release);
      return Promise.resolve(release);
    } catch (err) {
      return Promise.reject(toError(err));
    }
  }
}
