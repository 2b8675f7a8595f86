import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReleasePull } from '../../../cli/release';
import { ReleasesDirProvider, treeDigest } from '../../../release/local';
import {
  referenceManifests,
  releaseEntries,
  serveRelease,
  sha256,
  startServer,
  tarGz,
  type TestServer,
} from './fixtures';

const V = '1.30.3';

describe('meshwright release pull', () => {
  let server: TestServer;
  let dir: string;
  beforeEach(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'mw-pull-'));
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pull = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runReleasePull(
      argv,
      (l) => out.push(l),
      (l) => err.push(l),
      {},
    );
    return { code, out, err };
  };

  it('pulls into a cache that is also a releases dir, and reports each version that fails', async () => {
    const archive = tarGz(releaseEntries(V, referenceManifests(V)));
    serveRelease(server, '/m', V, archive);
    const cache = join(dir, 'releases');
    const flags = ['--release-mirror', `${server.url}/m`, '--release-cache', cache, '--release-offline'];
    const r = await pull([...flags, `v${V}`, '1.29.9']);
    expect(r.code).toBe(1);
    expect(r.out).toHaveLength(1);
    const [version, digest, manifestsDir] = r.out[0]!.split('\t');
    expect([version, digest, manifestsDir]).toEqual([
      V,
      `sha256:${sha256(archive)}`,
      join(cache, `istio-${V}`, 'manifests'),
    ]);
    expect(r.err).toEqual([
      expect.stringMatching(
        /^Istio release 1.29.9 from 2 sources: \(1\) cache .*not cached; \(2\) mirror .*HTTP 404/,
      ),
    ]);
    // The pulled cache serves as a releases dir (what an image carries for air-gapped clusters).
    const local = await new ReleasesDirProvider(cache).resolve(V);
    expect(treeDigest(local.manifestsDir)).toBe(treeDigest(referenceManifests(V)));
  });

  it('answers usage errors with exit code 2 and the reason', async () => {
    expect(await pull([])).toMatchObject({
      code: 2,
      err: ['release pull needs at least one VERSION (e.g. 1.30.3)'],
    });
    expect(await pull(['--release-timeout', '0', V])).toMatchObject({
      code: 2,
      err: ['flag --release-timeout must be a positive number of seconds, got 0'],
    });
    expect(await pull(['--release-mirror', 'ftp://x', V])).toMatchObject({
      code: 1,
      err: [expect.stringMatching(/is not an http\(s\) URL/)],
    });
    const missing = join(dir, 'nope.pem');
    expect(await pull(['--release-mirror-ca', missing, V])).toMatchObject({
      code: 2,
      err: [expect.stringContaining(`flag --release-mirror-ca: cannot read ${missing}: ENOENT`)],
    });
    expect((await pull(['--help'])).out[0]).toMatch(/--release-mirror-ca/);
  });
});
