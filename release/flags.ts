// The command-line flags that choose release sources, shared by every command that resolves a release
// (`release pull` here; `manifest generate` and `operator` when they are wired), so they spell them alike.
import { readFileSync } from 'node:fs';
import type { FlagSpec, FlagValues } from '../lib/flags';
import { UsageError } from '../lib/flags';
import type { ReleaseFlags } from './options';
import { errorMessage } from '../lib/errors';

export const RELEASE_FLAGS: Record<string, FlagSpec> = {
  manifests: {
    kind: 'string',
    alias: 'd',
    help: 'An Istio manifests tree (charts/, profiles/) used for every version; no other source is tried',
  },
  'releases-dir': {
    kind: 'string',
    help: 'Directory of <dir>/istio-<version>/manifests releases (env MESHWRIGHT_RELEASES_DIR)',
  },
  'release-mirror': {
    kind: 'string',
    help: 'Base URL serving <url>/<version>/istio-<version>-linux-amd64.tar.gz and .sha256 (env MESHWRIGHT_RELEASE_MIRROR)',
  },
  'release-cache': {
    kind: 'string',
    help: 'Download cache directory (env MESHWRIGHT_RELEASE_CACHE; default $XDG_CACHE_HOME/meshwright/releases)',
  },
  'release-offline': {
    kind: 'boolean',
    help: 'Never download from the official release location (air-gapped clusters)',
  },
  'release-mirror-ca': {
    kind: 'string',
    help: 'PEM file of a CA that signs the https mirror (added to the system roots)',
  },
  'release-timeout': { kind: 'number', help: 'Seconds one download may take (default 300)' },
  'release-insecure-skip-verify': {
    kind: 'boolean',
    help: 'Accept a mirror archive that has no .sha256 beside it (only for a mirror you control)',
  },
};

const str = (v: FlagValues[string], name: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`flag --${name} needs a non-empty value`);
  return v;
};

function readCa(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`flag --release-mirror-ca: cannot read ${file}: ${errorMessage(err)}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`flag --release-mirror-ca: ${file} holds no PEM certificate`);
  return pem;
}

/** ReleaseFlags from parsed RELEASE_FLAGS values (undefined where not given). */
export function releaseFlagsFrom(flags: FlagValues): ReleaseFlags {
  const timeout = flags['release-timeout'];
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0)))
    throw new UsageError(
      `flag --release-timeout must be a positive number of seconds, got ${String(timeout)}`,
    );
  return {
    manifestsDir: str(flags.manifests, 'manifests'),
    releasesDir: str(flags['releases-dir'], 'releases-dir'),
    mirrorUrl: str(flags['release-mirror'], 'release-mirror'),
    cacheDir: str(flags['release-cache'], 'release-cache'),
    official: flags['release-offline'] === true ? false : undefined,
    timeoutMs: typeof timeout === 'number' ? timeout * 1000 : undefined,
    insecureSkipVerify: flags['release-insecure-skip-verify'] === true ? true : undefined,
    mirrorCa: readCa(str(flags['release-mirror-ca'], 'release-mirror-ca')),
  };
}
