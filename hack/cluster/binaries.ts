// Where the pinned control-plane binaries live and how to get them: versions come from
// hack/versions.sh (the single source of truth shared with the bash build script), binaries from the
// cache that hack/build-binaries.sh fills.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Versions {
  readonly kube: string;
  readonly etcd: string;
  readonly kwok: string;
}

export interface Binaries {
  readonly versions: Versions;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kwok: string;
  /** kwok's default Stage files, passed to kwok with --config. */
  readonly kwokStages: readonly string[];
}

/** The repository root: the nearest ancestor holding hack/versions.sh (works from hack/ and dist/hack/). */
export function repoRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'hack', 'versions.sh'))) return dir;
    if (dirname(dir) === dir) throw new Error(`hack/versions.sh not found above ${from}`);
  }
}

/** Parses the KEY=value lines of hack/versions.sh. */
export function parseVersions(text: string): Versions {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z_]+)=(\S+)\s*$/.exec(line);
    if (m?.[1] && m[2]) values.set(m[1], m[2]);
  }
  const get = (key: string): string => {
    const v = values.get(key);
    if (!v) throw new Error(`hack/versions.sh does not set ${key}`);
    return v;
  };
  return { kube: get('KUBE_VERSION'), etcd: get('ETCD_VERSION'), kwok: get('KWOK_VERSION') };
}

export function readVersions(root: string = repoRoot()): Versions {
  return parseVersions(readFileSync(join(root, 'hack', 'versions.sh'), 'utf8'));
}

export function cacheDir(): string {
  return process.env.MESHWRIGHT_CACHE ?? join(homedir(), '.cache', 'meshwright');
}

export function binaryPaths(versions: Versions, cache: string = cacheDir()): Binaries {
  const kube = join(cache, 'bin', `kube-${versions.kube}`);
  const kwok = join(cache, 'bin', `kwok-${versions.kwok}`);
  const stagesDir = join(kwok, 'stages');
  const stages = existsSync(stagesDir)
    ? readdirSync(stagesDir)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => join(stagesDir, f))
    : [];
  return {
    versions,
    etcd: join(cache, 'bin', `etcd-${versions.etcd}`, 'etcd'),
    kubeApiserver: join(kube, 'kube-apiserver'),
    kubeControllerManager: join(kube, 'kube-controller-manager'),
    kubeScheduler: join(kube, 'kube-scheduler'),
    kwok: join(kwok, 'kwok'),
    kwokStages: stages,
  };
}

/** The binaries (and stage files) that are not in the cache yet. */
export function missingBinaries(b: Binaries): string[] {
  const files = [b.etcd, b.kubeApiserver, b.kubeControllerManager, b.kubeScheduler, b.kwok];
  const missing = files.filter((f) => !existsSync(f));
  if (b.kwokStages.length === 0) missing.push('kwok default stages');
  return missing;
}

/**
 * Returns the cached binaries, running hack/build-binaries.sh first when any is missing (a cold build
 * takes many minutes; its progress goes to stderr). Throws with the build's exit status on failure.
 */
export function ensureBinaries(root: string = repoRoot()): Binaries {
  const versions = readVersions(root);
  let bins = binaryPaths(versions);
  if (missingBinaries(bins).length === 0) return bins;
  const build = spawnSync('bash', [join(root, 'hack', 'build-binaries.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0) {
    throw new Error(
      `hack/build-binaries.sh failed (status ${build.status ?? build.signal}); see its output above`,
    );
  }
  bins = binaryPaths(versions);
  const missing = missingBinaries(bins);
  if (missing.length > 0) throw new Error(`binaries still missing after the build: ${missing.join(', ')}`);
  return bins;
}
