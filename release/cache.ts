// The download cache: `<cacheDir>/istio-<version>/manifests` plus `release.json` (digest, source, time).
// An entry is built in a temp directory beside it and renamed into place in one step, so readers (this
// process or another) see either no entry or a whole one; when two writers race, the first rename wins
// and the second discards its copy.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkManifestsDir } from './local';
import { ReleaseError, type Release } from './types';
import { errorMessage } from '../lib/errors';

/** What `release.json` records about an entry. */
export interface CacheMetadata {
  readonly version: string;
  /** `sha256:<hex>` of the archive the tree was extracted from. */
  readonly digest: string;
  /** Where the archive came from (URL without query). */
  readonly source: string;
  /** ISO time of the download. */
  readonly fetchedAt: string;
}

const METADATA = 'release.json';

export class ReleaseCache {
  constructor(readonly dir: string) {}

  entryDir(version: string): string {
    return join(this.dir, `istio-${version}`);
  }

  /** The cached release, undefined on a miss; a damaged entry is removed so it can be fetched again. */
  async lookup(version: string): Promise<Release | undefined> {
    const entry = this.entryDir(version);
    if (!existsSync(entry)) return undefined;
    const source = `cache ${entry}`;
    try {
      const meta = JSON.parse(readFileSync(join(entry, METADATA), 'utf8')) as Partial<CacheMetadata>;
      if (
        meta.version !== version ||
        typeof meta.digest !== 'string' ||
        !/^sha256:[0-9a-f]{64}$/.test(meta.digest)
      )
        throw new Error(`${METADATA} does not describe ${version}`);
      const manifestsDir = join(entry, 'manifests');
      checkManifestsDir(version, manifestsDir, source);
      return {
        version,
        manifestsDir,
        digest: meta.digest,
        source: `${source} (from ${meta.source ?? 'unknown'})`,
      };
    } catch {
      // Not written by us in one piece (entries appear by rename): move it aside rather than trust it.
      await this.discard(entry);
      return undefined;
    }
  }

  /** A fresh temp directory on the cache's filesystem (rename needs the same one). */
  async tempDir(version: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    return mkdtemp(join(this.dir, `.tmp-istio-${version}-`));
  }

  /**
   * Publishes `tmp` (holding `manifests/`) as the entry for `meta.version`. If another writer published
   * first, its entry is kept and returned.
   */
  async publish(tmp: string, meta: CacheMetadata): Promise<Release> {
    await writeFile(join(tmp, METADATA), JSON.stringify(meta, null, 2) + '\n');
    try {
      await rename(tmp, this.entryDir(meta.version));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      await rm(tmp, { recursive: true, force: true });
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST')
        throw new ReleaseError(meta.version, `cache ${this.dir}`, `cannot write: ${errorMessage(err)}`);
    }
    const release = await this.lookup(meta.version);
    if (!release)
      throw new ReleaseError(meta.version, `cache ${this.dir}`, 'entry vanished after it was written');
    return release;
  }

  private async discard(entry: string): Promise<void> {
    const aside = join(this.dir, `.stale-${randomBytes(6).toString('hex')}`);
    try {
      await rename(entry, aside);
      await rm(aside, { recursive: true, force: true });
    } catch {
      // Another process moved it first; nothing to do.
    }
  }
}
