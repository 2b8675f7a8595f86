// One release-source setup for every command that renders through Istio's charts (`manifest generate`,
// `operator`): the RELEASE_FLAGS over MESHWRIGHT_RELEASE* over defaults, so both get the releases dir, the
// download cache, a mirror and the official location alike (docs/release.md).
import type { FlagValues } from '../lib/flags';
import { UsageError } from '../lib/flags';
import { releaseFlagsFrom } from '../release/flags';
import { releaseOptionsFrom, type ReleaseProviderOptions } from '../release/options';
import { errorMessage } from '../lib/errors';

export interface ReleaseSource {
  readonly options: ReleaseProviderOptions;
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
  return { options };
}
