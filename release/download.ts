// Fetches a release archive from an HTTP location laid out as Istio's release downloads are
// (`<base>/<version>/istio-<version>-linux-amd64.tar.gz` and `.sha256` beside it), verifies it, extracts
// its manifests tree and publishes it into the cache. Nothing is visible in the cache until every step
// has passed.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveError, DEFAULT_EXTRACT_LIMITS, extractManifests, type ExtractLimits } from './archive';
import type { ReleaseCache } from './cache';
import { parseChecksumFile, PINNED_DIGESTS } from './digests';
import { displayUrl, downloadToFile, fetchText, HttpError, type HttpOptions } from './http';
import { checkManifestsDir } from './local';
import { ReleaseError, type Release, type ReleaseProvider, type ResolveOptions } from './types';
import { errorMessage } from '../lib/errors';

export const OFFICIAL_BASE_URL = 'https://github.com/istio/istio/releases/download';

export interface DownloadOptions {
  /** `mirror` or `official`: names the source in errors. */
  readonly kind: string;
  /** Base URL; the archive is `<base>/<version>/<archive name>`. */
  readonly baseUrl: string;
  readonly cache: ReleaseCache;
  readonly timeoutMs: number;
  /** Largest archive accepted (the official one is about 30 MB). */
  readonly maxArchiveBytes?: number;
  /** Archive name → sha256 hex; defaults to PINNED_DIGESTS. */
  readonly pinnedDigests?: Readonly<Record<string, string>>;
  /** Accept an archive with no checksum to check: only for a mirror you control. */
  readonly insecureSkipVerify?: boolean;
  readonly extractLimits?: ExtractLimits;
  /** Extra trusted CA (PEM) for an https mirror behind a private CA. */
  readonly ca?: string;
}

export const archiveName = (version: string): string => `istio-${version}-linux-amd64.tar.gz`;

export class DownloadProvider implements ReleaseProvider {
  private readonly base: string;

  constructor(private readonly options: DownloadOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  archiveUrl(version: string): string {
    return `${this.base}/${version}/${archiveName(version)}`;
  }

  async resolve(version: string, resolveOptions: ResolveOptions = {}): Promise<Release> {
    const url = this.archiveUrl(version);
    const source = `${this.options.kind} ${displayUrl(url)}`;
    const http = {
      timeoutMs: this.options.timeoutMs,
      signal: resolveOptions.signal,
      maxBytes: this.options.maxArchiveBytes ?? 512 << 20,
      ca: this.options.ca,
    };
    const fail = (reason: string): ReleaseError => new ReleaseError(version, source, reason);
    const expected = await this.expectedDigest(version, url, http, fail);
    const cache = this.options.cache;
    const tmp = await cache.tempDir(version);
    try {
      const archive = join(tmp, archiveName(version));
      const got = await downloadToFile(url, archive, http).catch((err: unknown) => {
        throw fail(err instanceof HttpError ? err.message : String(err));
      });
      if (expected !== undefined && got.sha256 !== expected)
        throw fail(`sha256 mismatch: archive is ${got.sha256}, expected ${expected}`);
      const manifests = join(tmp, 'manifests');
      await extractManifests(
        archive,
        version,
        manifests,
        this.options.extractLimits ?? DEFAULT_EXTRACT_LIMITS,
      ).catch((err: unknown) => {
        throw fail(err instanceof ArchiveError ? `bad archive: ${err.message}` : String(err));
      });
      checkManifestsDir(version, manifests, source);
      await rm(archive);
      return await cache.publish(tmp, {
        version,
        digest: `sha256:${got.sha256}`,
        source: displayUrl(url),
        fetchedAt: new Date().toISOString(),
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** The pinned digest, else the published `.sha256`; undefined only when verification is off. */
  private async expectedDigest(
    version: string,
    url: string,
    http: HttpOptions,
    fail: (reason: string) => ReleaseError,
  ): Promise<string | undefined> {
    const name = archiveName(version);
    const pinned = (this.options.pinnedDigests ?? PINNED_DIGESTS)[name];
    if (pinned) return pinned.toLowerCase();
    let text: string;
    try {
      text = await fetchText(`${url}.sha256`, { ...http, maxBytes: 4096 });
    } catch (err) {
      if (this.options.insecureSkipVerify && err instanceof HttpError && err.status === 404) return undefined;
      const why = errorMessage(err);
      throw fail(`no checksum to verify against (${why})`);
    }
    try {
      return parseChecksumFile(text, name);
    } catch (err) {
      throw fail(`${displayUrl(url)}.sha256: ${errorMessage(err)}`);
    }
  }
}
