// The release flags of `manifest generate` and `operator` → release provider options, and when a source
// (flags over MESHWRIGHT_RELEASE* over defaults).
import { parseFlags, UsageError } from '../../../lib/flags';
import { RELEASE_FLAGS } from '../../../release/flags';
import { releaseSourceFrom } from '../../../cli/release-source';

const source = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  releaseSourceFrom(parseFlags(argv, RELEASE_FLAGS).flags, env);

describe('releaseSourceFrom', () => {
  it('defaults to cache then official downloads', () => {
    expect(source([], { HOME: '/home/u', XDG_CACHE_HOME: '/xdg' })).toEqual({
      options: {
        manifestsDir: undefined,
        releasesDir: undefined,
        mirrorUrl: undefined,
        official: true,
        cacheDir: '/xdg/meshwright/releases',
        timeoutMs: 300_000,
        insecureSkipVerify: false,
      },
    });
  });

  it('maps every flag, flags over the environment', () => {
    const s = source(
      [
        '-d',
        '/tree',
        '--release-mirror=http://m.example/istio',
        '--release-cache=/c',
        '--release-offline',
        '--release-timeout=12',
        '--release-insecure-skip-verify',
      ],
      { MESHWRIGHT_RELEASE_CACHE: '/envcache', MESHWRIGHT_RELEASE_MIRROR: 'https://other' },
    );
    expect(s).toEqual({
      options: {
        manifestsDir: '/tree',
        releasesDir: undefined,
        mirrorUrl: 'http://m.example/istio',
        official: false,
        cacheDir: '/c',
        timeoutMs: 12_000,
        insecureSkipVerify: true,
      },
    });
  });

  it('takes a source from the MESHWRIGHT_RELEASE* variables', () => {
    expect(source([], { MESHWRIGHT_RELEASES_DIR: '/r' }).options.releasesDir).toBe('/r');
    expect(source([], { MESHWRIGHT_RELEASE_MIRROR: 'https://m' }).options.mirrorUrl).toBe('https://m');
    expect(source(['--release-offline']).options.official).toBe(false);
  });

  it('refuses conflicting or malformed sources as usage errors naming the flag', () => {
    expect(() => source(['--manifests=/m', '--releases-dir=/r'])).toThrow(/--manifests and --releases-dir/);
    expect(() => source(['--release-mirror=ftp://x'])).toThrow(UsageError);
    expect(() => source([], { MESHWRIGHT_RELEASE_MIRROR: 'not a url' })).toThrow(/MESHWRIGHT_RELEASE_MIRROR/);
    expect(() => source(['--release-timeout=0'])).toThrow(/--release-timeout/);
  });
});
