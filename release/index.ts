// The release source, as the rest of Meshwright uses it: build a provider from options, resolve a
// version to a manifests tree on disk (docs/release.md).
import { ReleaseCache } from './cache';
import { ChainProvider, type NamedProvider } from './chain';
import { DownloadProvider, OFFICIAL_BASE_URL } from './download';
import { PINNED_DIGESTS } from './digests';
import { manifestsDirRelease, ReleasesDirProvider } from './local';
import type { ReleaseProviderOptions } from './options';
import { ReleaseError, type Release, type ReleaseProvider } from './types';

export { ReleaseError } from './types';
export type { Release, ReleaseProvider, ResolveOptions } from './types';
export { releaseVersionOf, parseIstioVersion, type VersionChoice } from './version';
export { checkManifestsDir, treeDigest } from './local';
export {
  defaultCacheDir,
  releaseOptionsFrom,
  DEFAULT_TIMEOUT_MS,
  type ReleaseFlags,
  type ReleaseProviderOptions,
} from './options';

/** A source of the chain; `name` labels failures that are not ReleaseErrors. */
function named(name: string, provider: ReleaseProvider): NamedProvider {
  return { name, provider };
}

/**
 * Sources in order: the manifests dir alone when given; else releases dir, cache, mirror, official.
 */
export function createReleaseProvider(options: ReleaseProviderOptions): ReleaseProvider {
  if (options.manifestsDir !== undefined) {
    const dir = options.manifestsDir;
    const known = new Map<string, Release>(); // the tree digest is read once per version and process
    const single: ReleaseProvider = {
      resolve: (version) => {
        try {
          const release = known.get(version) ?? manifestsDirRelease(version, dir);
          known.set(version, release);
          return Promise.resolve(release);
        } catch (err) {
          return Promise.reject(
            err instanceof ReleaseError ? err : new ReleaseError(version, `dir ${dir}`, String(err)),
          );
        }
      },
    };
    return new ChainProvider([named('manifests dir', single)]);
  }
  const cache = new ReleaseCache(options.cacheDir);
  const pins = { ...PINNED_DIGESTS, ...options.pinnedDigests };
  const sources: NamedProvider[] = [];
  if (options.releasesDir !== undefined)
    sources.push(named('releases dir', new ReleasesDirProvider(options.releasesDir)));
  sources.push(
    named('cache', {
      resolve: async (version) => {
        const hit = await cache.lookup(version);
        if (!hit) throw new ReleaseError(version, `cache ${cache.entryDir(version)}`, 'not cached');
        return hit;
      },
    }),
  );
  const download = (
    kind: string,
    baseUrl: string,
    insecureSkipVerify: boolean,
    ca?: string,
  ): DownloadProvider =>
    new DownloadProvider({
      kind,
      baseUrl,
      cache,
      timeoutMs: options.timeoutMs,
      pinnedDigests: pins,
      insecureSkipVerify,
      maxArchiveBytes: options.maxArchiveBytes,
      extractLimits: options.extractLimits,
      ca,
    });
  if (options.mirrorUrl !== undefined)
    sources.push(
      named(
        'mirror',
        download('mirror', options.mirrorUrl, options.insecureSkipVerify ?? false, options.mirrorCa),
      ),
    );
  // The official location is always verified.
  if (options.official ?? true)
    sources.push(
      named('official', download('official', options.officialBaseUrl ?? OFFICIAL_BASE_URL, false)),
    );
  return new ChainProvider(sources);
}
