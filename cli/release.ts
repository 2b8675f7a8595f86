// `meshwright release pull VERSION...`: resolves releases through the configured sources into the cache
// ahead of time, for air-gapped clusters and images. The cache's layout (<dir>/istio-<version>/manifests)
// is also a releases dir, so `--release-cache /opt/releases` prepares a directory an image can carry.
import { parseFlags, usage, UsageError, type FlagSpec } from '../lib/flags';
import { createReleaseProvider, ReleaseError, releaseOptionsFrom } from '../release';
import { RELEASE_FLAGS, releaseFlagsFrom } from '../release/flags';
import type { Command } from './commands';
import { errorMessage } from '../lib/errors';

const SUMMARY = 'Fetch, verify and cache Istio releases: meshwright release pull VERSION...';

const FLAGS: Record<string, FlagSpec> = {
  ...RELEASE_FLAGS,
  help: { kind: 'boolean', alias: 'h', help: 'Show this help' },
};

/** Runs `release pull` on its arguments; returns the exit code, writing results to `out`, failures to `err`. */
export async function runReleasePull(
  argv: string[],
  out: (line: string) => void,
  err: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    const { flags, positional } = parseFlags(argv, FLAGS);
    if (flags.help) {
      out(usage('release pull VERSION...', SUMMARY, FLAGS));
      return 0;
    }
    if (positional.length === 0)
      throw new UsageError('release pull needs at least one VERSION (e.g. 1.30.3)');
    const provider = createReleaseProvider(releaseOptionsFrom(releaseFlagsFrom(flags), env));
    let failed = 0;
    for (const version of positional) {
      try {
        const r = await provider.resolve(version.replace(/^v/, ''));
        out(`${r.version}\t${r.digest}\t${r.manifestsDir}\t${r.source}`);
      } catch (e) {
        if (!(e instanceof ReleaseError)) throw e;
        err(e.message);
        failed++;
      }
    }
    return failed === 0 ? 0 : 1;
  } catch (e) {
    err(errorMessage(e));
    return e instanceof UsageError ? 2 : 1;
  }
}

export const releasePull: Command = {
  name: 'release pull',
  summary: SUMMARY,
  run: (argv) =>
    runReleasePull(
      argv,
      (line) => process.stdout.write(line.endsWith('\n') ? line : `${line}\n`),
      (line) => process.stderr.write(`meshwright release pull: ${line}\n`),
    ),
};
