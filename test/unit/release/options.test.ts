import { join } from 'node:path';
import { homedir } from 'node:os';
import { defaultCacheDir, DEFAULT_TIMEOUT_MS, releaseOptionsFrom } from '../../../release';
import { parseChecksumFile } from '../../../release/digests';

describe('release options', () => {
  it('defaults the cache under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/meshwright/releases');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'meshwright', 'releases'));
  });

  it('takes flags over MESHWRIGHT_* variables over defaults', () => {
    const env = {
      MESHWRIGHT_RELEASES_DIR: '/env/releases',
      MESHWRIGHT_RELEASE_MIRROR: 'https://mirror.example/istio',
      MESHWRIGHT_RELEASE_CACHE: '/env/cache',
    };
    expect(releaseOptionsFrom({}, env)).toEqual({
      manifestsDir: undefined,
      releasesDir: '/env/releases',
      mirrorUrl: 'https://mirror.example/istio',
      official: true,
      cacheDir: '/env/cache',
      timeoutMs: DEFAULT_TIMEOUT_MS,
      insecureSkipVerify: false,
    });
    const flags = releaseOptionsFrom(
      { releasesDir: '/f', mirrorUrl: 'http://m', cacheDir: '/c', official: false, timeoutMs: 10 },
      env,
    );
    expect(flags).toMatchObject({
      releasesDir: '/f',
      mirrorUrl: 'http://m',
      cacheDir: '/c',
      official: false,
      timeoutMs: 10,
    });
    expect(releaseOptionsFrom({}, { XDG_CACHE_HOME: '/x' }).mirrorUrl).toBeUndefined();
  });

  it('names the setting of a bad mirror URL or timeout', () => {
    expect(() => releaseOptionsFrom({}, { MESHWRIGHT_RELEASE_MIRROR: 'ftp://m' })).toThrow(
      'release mirror "ftp://m" is not an http(s) URL (--release-mirror / MESHWRIGHT_RELEASE_MIRROR)',
    );
    expect(() => releaseOptionsFrom({ mirrorUrl: 'not a url' }, {})).toThrow(/is not an http\(s\) URL/);
    expect(() => releaseOptionsFrom({ timeoutMs: 0 }, {})).toThrow(/timeout must be a positive number/);
  });

  it('parses sha256sum-style checksum files', () => {
    const hex = 'ab'.repeat(32);
    expect(
      parseChecksumFile(`${hex}  istio-1.30.3-linux-amd64.tar.gz\n`, 'istio-1.30.3-linux-amd64.tar.gz'),
    ).toBe(hex);
    expect(parseChecksumFile(`${hex.toUpperCase()}\n`, 'a.tgz')).toBe(hex);
    expect(parseChecksumFile(`${hex} *out/a.tgz`, 'a.tgz')).toBe(hex);
    expect(() => parseChecksumFile(`${hex}  other.tgz`, 'a.tgz')).toThrow(
      'checksum file names other.tgz, not a.tgz',
    );
    expect(() => parseChecksumFile('<html>', 'a.tgz')).toThrow(/not "<sha256 hex> {2}<file name>"/);
  });
});
