// One release-source setup for every command that renders through Istio's charts (`manifest generate`,
// `operator`): the RELEASE_FLAGS over MESHWRIGHT_RELEASE* over defaults, so both get the releases dir, the
// download cache, a mirror and the official location alike (docs/release.md).
import type { FlagValues } from '../lib/flags';
import { UsageError } from '../lib/flags';
import { RELEASE_FLAGS, releaseFlagsFrom } from '../release/flags';
import { releaseOptionsFrom, type ReleaseProviderOptions } from '../release/options';
import { errorMessage } from '../lib/errors';

/** Environment variables that configure a release source (as the flags do). */
const RELEASE_ENV = ['MESHWRIGHT_RELEASES_DIR', 'MESHWRIGHT_RELEASE_MIRROR', 'MESHWRIGHT_RELEASE_CACHE'];

export interface ReleaseSource {
  readonly options: ReleaseProviderOptions;
  /**
   * Whether the user chose a source: any release flag or MESHWRIGHT_RELEASE* variable. The official
   * location is always in the chain, so "a source exists" no longer tells the operator to use charts.
   */
  readonly configured: boolean;
}

export function releaseSourceFrom(flags: FlagValues, env: NodeJS.ProcessEnv = process.env): ReleaseSource {
  const given = (v: unknown): boolean => v !== undefined && v !== false && v !== '';
  if (given(flags.manifests) && given(flags['releases-dir']))
    throw new UsageError('--manifests and --releases-dir exclude each other');
  let options: ReleaseProviderOptions;
  try {
    options = releaseOptionsFrom(releaseFlagsFrom(flags), env);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(errorMessage(err));
  }
  const configured =
    Object.keys(RELEASE_FLAGS).some((name) => given(flags[name])) ||
    RELEASE_ENV.some((name) => given(env[name]));
  return { options, configured };
}
