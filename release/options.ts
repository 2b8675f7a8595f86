// Where releases come from, as the CLI and the operator configure it: flags win over the environment
// (MESHWRIGHT_RELEASES_DIR, MESHWRIGHT_RELEASE_MIRROR, MESHWRIGHT_RELEASE_CACHE), then defaults.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ExtractLimits } from './archive';

export interface ReleaseProviderOptions {
  /** One manifests tree (`--manifests`): every version resolves to it, no other source is tried. */
  readonly manifestsDir?: string;
  /** `<dir>/istio-<version>/manifests` releases on local disk. */
  readonly releasesDir?: string;
  /** Base URL laid out as the official downloads: `<mirror>/<version>/istio-<version>-linux-amd64.tar.gz`. */
  readonly mirrorUrl?: string;
  /** Whether to fall back to the official release location (default true; false for air-gapped use). */
  readonly official?: boolean;
  /** Overrides the official base URL (tests, a proxy that rewrites GitHub). */
  readonly officialBaseUrl?: string;
  /** Where downloads are cached (see defaultCacheDir). */
  readonly cacheDir: string;
  /** Deadline of one download (checksum and archive each). */
  readonly timeoutMs: number;
  /** Accept a mirror archive that has no published checksum (a mirror you control). Off by default. */
  readonly insecureSkipVerify?: boolean;
  /** Extra trusted CA certificate (PEM text) for an https mirror behind a private CA. */
  readonly mirrorCa?: string;
  /** Archive name → sha256 hex, added to (and overriding) the built-in pins. */
  readonly pinnedDigests?: Readonly<Record<string, string>>;
  readonly maxArchiveBytes?: number;
  readonly extractLimits?: ExtractLimits;
}

export const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** `${XDG_CACHE_HOME:-~/.cache}/meshwright/releases`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'meshwright', 'releases');
}

/** Flags as the CLI parsed them; undefined means "not given". */
export interface ReleaseFlags {
  readonly manifestsDir?: string;
  readonly releasesDir?: string;
  readonly mirrorUrl?: string;
  readonly cacheDir?: string;
  readonly official?: boolean;
  readonly timeoutMs?: number;
  readonly insecureSkipVerify?: boolean;
  readonly mirrorCa?: string;
}

/** Merges flags over MESHWRIGHT_RELEASES_DIR / _RELEASE_MIRROR / _RELEASE_CACHE over defaults. */
export function releaseOptionsFrom(
  flags: ReleaseFlags,
  env: NodeJS.ProcessEnv = process.env,
): ReleaseProviderOptions {
  const pick = (flag: string | undefined, name: string): string | undefined =>
    flag ?? (env[name] && env[name] !== '' ? env[name] : undefined);
  const mirrorUrl = pick(flags.mirrorUrl, 'MESHWRIGHT_RELEASE_MIRROR');
  if (mirrorUrl !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(mirrorUrl);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
      throw new Error(
        `release mirror "${mirrorUrl}" is not an http(s) URL (--release-mirror / MESHWRIGHT_RELEASE_MIRROR)`,
      );
  }
  if (flags.timeoutMs !== undefined && !(flags.timeoutMs > 0))
    throw new Error(
      `release download timeout must be a positive number of milliseconds, got ${flags.timeoutMs}`,
    );
  return {
    manifestsDir: flags.manifestsDir,
    releasesDir: pick(flags.releasesDir, 'MESHWRIGHT_RELEASES_DIR'),
    mirrorUrl,
    official: flags.official ?? true,
    cacheDir: pick(flags.cacheDir, 'MESHWRIGHT_RELEASE_CACHE') ?? defaultCacheDir(env),
    timeoutMs: flags.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    insecureSkipVerify: flags.insecureSkipVerify ?? false,
    ...(flags.mirrorCa !== undefined ? { mirrorCa: flags.mirrorCa } : {}),
  };
}
