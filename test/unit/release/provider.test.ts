import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReleaseProvider, ReleaseError, type ReleaseProviderOptions } from '../../../release';
import { checkManifestsDir, treeDigest } from '../../../release/local';
import {
  REFERENCE,
  referenceManifests,
  releaseEntries,
  serveBytes,
  serveRelease,
  sha256,
  startServer,
  tarGz,
  type TestServer,
} from './fixtures';

const V = '1.30.3';
const RC = '1.31.0-rc.0';
const archives = new Map<string, Buffer>();
/** The release archive of `version`, built once per run from the reference manifests tree. */
const archiveOf = (version: string): Buffer => {
  let a = archives.get(version);
  if (!a) archives.set(version, (a = tarGz(releaseEntries(version, referenceManifests(version)))));
  return a;
};

describe('release provider', () => {
  let server: TestServer;
  let dir: string;
  let cacheDir: string;
  beforeEach(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'mw-provider-'));
    cacheDir = join(dir, 'cache');
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const provider = (more: Partial<ReleaseProviderOptions> = {}) =>
    createReleaseProvider({
      cacheDir,
      timeoutMs: 5000,
      mirrorUrl: `${server.url}/mirror`,
      official: false,
      ...more,
    });
  const leftovers = () => (existsSync(cacheDir) ? readdirSync(cacheDir) : []);

  it('downloads, verifies and caches a usable release; a cache hit needs no network', async () => {
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    const release = await provider().resolve(V);
    expect(release.version).toBe(V);
    expect(release.manifestsDir).toBe(join(cacheDir, `istio-${V}`, 'manifests'));
    expect(release.digest).toBe(`sha256:${sha256(archiveOf(V))}`);
    expect(release.source).toBe(`cache ${join(cacheDir, `istio-${V}`)} (from ${server.url}${path})`);
    expect(() => checkManifestsDir(V, release.manifestsDir, 'test')).not.toThrow();
    expect(treeDigest(release.manifestsDir)).toBe(treeDigest(referenceManifests(V)));
    const meta = JSON.parse(readFileSync(join(cacheDir, `istio-${V}`, 'release.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(meta).toMatchObject({ version: V, digest: release.digest, source: `${server.url}${path}` });
    expect(leftovers()).toEqual([`istio-${V}`]); // no temp dir, no archive left behind

    await server.close();
    const again = await provider().resolve(V); // a new process's provider, server gone
    expect(again).toEqual(release);
    expect(server.hits.get(path)).toBe(1);
  });

  it('shares one download between concurrent resolves of a version', async () => {
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    const p = provider();
    const all = await Promise.all([p.resolve(V), p.resolve(V), p.resolve(V)]);
    expect(new Set(all.map((r) => r.manifestsDir)).size).toBe(1);
    expect(server.hits.get(path)).toBe(1);
    expect(server.hits.get(`${path}.sha256`)).toBe(1);
  });

  it('lets two providers (two processes) race on one cache entry', async () => {
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    const [a, b] = await Promise.all([provider().resolve(V), provider().resolve(V)]);
    expect(a.manifestsDir).toBe(b.manifestsDir);
    expect(server.hits.get(path)).toBe(2);
    expect(leftovers()).toEqual([`istio-${V}`]);
    expect(treeDigest(a.manifestsDir)).toBe(treeDigest(referenceManifests(V)));
  });

  it('refuses an archive whose .sha256 does not match, and caches nothing', async () => {
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    server.routes.set(
      `${path}.sha256`,
      serveBytes(Buffer.from(`${'0'.repeat(64)}  istio-${V}-linux-amd64.tar.gz\n`)),
    );
    const err = await provider()
      .resolve(V)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect((err as ReleaseError).source).toBe('2 sources');
    expect((err as Error).message).toContain(
      `(2) mirror ${server.url}${path}: sha256 mismatch: archive is ${sha256(archiveOf(V))}, expected ${'0'.repeat(64)}`,
    );
    expect(leftovers()).toEqual([]);
  });

  it('checks a pinned digest instead of the published one', async () => {
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    const name = `istio-${V}-linux-amd64.tar.gz`;
    await expect(provider({ pinnedDigests: { [name]: 'f'.repeat(64) } }).resolve(V)).rejects.toThrow(
      /sha256 mismatch: .* expected f{64}/,
    );
    const release = await provider({ pinnedDigests: { [name]: sha256(archiveOf(V)) } }).resolve(V);
    expect(release.digest).toBe(`sha256:${sha256(archiveOf(V))}`);
    expect(server.hits.get(`${path}.sha256`)).toBeUndefined();
  });

  it('needs a checksum unless verification is explicitly skipped for the mirror', async () => {
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    server.routes.delete(`${path}.sha256`);
    await expect(provider().resolve(V)).rejects.toThrow(
      `(2) mirror ${server.url}${path}: no checksum to verify against (GET ${server.url}${path}.sha256: HTTP 404 Not Found)`,
    );
    expect(leftovers()).toEqual([]);
    const release = await provider({ insecureSkipVerify: true }).resolve(V);
    expect(treeDigest(release.manifestsDir)).toBe(treeDigest(referenceManifests(V)));
    server.routes.set(`${path}.sha256`, serveBytes(Buffer.from('not a checksum')));
    rmSync(cacheDir, { recursive: true });
    await expect(provider({ insecureSkipVerify: true }).resolve(V)).rejects.toThrow(
      /\.sha256: checksum file is not "<sha256 hex> {2}<file name>"/,
    );
  });

  it('reports a missing release, a body cut mid-way and a bad archive, caching nothing', async () => {
    await expect(provider().resolve(V)).rejects.toThrow(
      `(2) mirror ${server.url}/mirror/${V}/istio-${V}-linux-amd64.tar.gz: no checksum to verify against (GET ${server.url}/mirror/${V}/istio-${V}-linux-amd64.tar.gz.sha256: HTTP 404 Not Found)`,
    );
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    server.routes.set(path, (_q, res) => {
      res.writeHead(200, { 'content-length': archiveOf(V).length });
      res.write(archiveOf(V).subarray(0, 50_000), () => res.socket?.destroy());
    });
    await expect(provider().resolve(V)).rejects.toThrow(/: GET .* body truncated after \d+/);
    expect(leftovers()).toEqual([]);
    // Right checksum, wrong content: the archive of another version under this version's name.
    serveRelease(server, '/mirror', V, archiveOf(RC));
    await expect(provider().resolve(V)).rejects.toThrow(
      /bad archive: archive has no istio-1.30.3\/ top directory/,
    );
    expect(leftovers()).toEqual([]);
  });

  it('times out a slow mirror and stops when the caller aborts', async () => {
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    server.routes.set(path, (_q, res) => {
      res.writeHead(200, { 'content-length': archiveOf(V).length });
      res.write(archiveOf(V).subarray(0, 1000));
    });
    await expect(provider({ timeoutMs: 300 }).resolve(V)).rejects.toThrow(/timed out after 300 ms/);
    const controller = new AbortController();
    const p = provider();
    const a = p.resolve(V, { signal: controller.signal });
    const b = p.resolve(V); // shares the download; cancelling a does not cancel b's
    setTimeout(() => controller.abort(), 100);
    await expect(a).rejects.toThrow(`Istio release ${V} from resolve: aborted`);
    server.routes.set(path, serveBytes(archiveOf(V))); // too late for the stalled response
    await expect(Promise.race([b, new Promise((r) => setTimeout(() => r('pending'), 300))])).resolves.toBe(
      'pending',
    );
    await server.close(); // b's download dies mid-body; its temp dir goes with it
    await expect(b).rejects.toThrow(/body truncated after \d+/);
    expect(leftovers()).toEqual([]);
  });

  it('cancels the shared download once every caller has aborted', async () => {
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    let closed!: () => void;
    const serverSawClose = new Promise<void>((r) => (closed = r));
    server.routes.set(path, (req, res) => {
      res.writeHead(200, { 'content-length': archiveOf(V).length });
      res.write(archiveOf(V).subarray(0, 1000));
      req.socket.on('close', closed);
    });
    const p = provider();
    const one = new AbortController();
    const two = new AbortController();
    const a = p.resolve(V, { signal: one.signal });
    const b = p.resolve(V, { signal: two.signal });
    await new Promise((r) => setTimeout(r, 100));
    one.abort();
    await expect(a).rejects.toThrow(/aborted/);
    two.abort();
    await expect(b).rejects.toThrow(/aborted/);
    // A later caller starts a fresh attempt rather than joining the cancelled one.
    server.routes.set(path, serveBytes(archiveOf(V)));
    await expect(p.resolve(V)).resolves.toMatchObject({ version: V });
    await serverSawClose; // the download's connection was torn down, not left to the 5 s deadline
    // The aborted download's temp dir is removed once it unwinds; only the new entry stays.
    const done = () => leftovers().join() === `istio-${V}`;
    for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(leftovers()).toEqual([`istio-${V}`]);
  });

  it('tries releases dir, cache, mirror, official in order and lists every failure', async () => {
    // releases dir first: no request at all.
    const local = await provider({ releasesDir: REFERENCE }).resolve(RC);
    expect(local.source).toBe(`releases-dir ${REFERENCE}`);
    expect(server.hits.size).toBe(0);

    // mirror misses, official (here a second loopback path) has it.
    serveRelease(server, '/official', V, archiveOf(V));
    const viaOfficial = await provider({
      official: true,
      officialBaseUrl: `${server.url}/official/`,
    }).resolve(V);
    expect(viaOfficial.source).toMatch(new RegExp(`from ${server.url}/official/${V}/`));
    expect(server.hits.get(`/mirror/${V}/istio-${V}-linux-amd64.tar.gz.sha256`)).toBe(1);

    // all fail: one error naming each source and why.
    const err = await provider({
      releasesDir: join(dir, 'none'),
      official: true,
      officialBaseUrl: `${server.url}/o`,
    })
      .resolve('1.29.9')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    const m = `${server.url}/mirror/1.29.9/istio-1.29.9-linux-amd64.tar.gz`;
    const o = `${server.url}/o/1.29.9/istio-1.29.9-linux-amd64.tar.gz`;
    expect((err as Error).message).toBe(
      `Istio release 1.29.9 from 4 sources: ` +
        `(1) releases-dir ${join(dir, 'none')}: ${join(dir, 'none', 'istio-1.29.9', 'manifests')} does not exist; ` +
        `(2) cache ${join(cacheDir, 'istio-1.29.9')}: not cached; ` +
        `(3) mirror ${m}: no checksum to verify against (GET ${m}.sha256: HTTP 404 Not Found); ` +
        `(4) official ${o}: no checksum to verify against (GET ${o}.sha256: HTTP 404 Not Found)`,
    );
  });

  it('resolves every version to a --manifests tree and nothing else', async () => {
    const p = createReleaseProvider({ manifestsDir: referenceManifests(RC), cacheDir, timeoutMs: 1000 });
    const r = await p.resolve('1.29.0');
    expect(r).toMatchObject({ version: '1.29.0', manifestsDir: referenceManifests(RC) });
    const empty = join(dir, 'empty');
    await expect(
      createReleaseProvider({ manifestsDir: empty, cacheDir, timeoutMs: 1000 }).resolve(V),
    ).rejects.toThrow(
      `Istio release ${V} from dir ${empty}: ${empty} is not an Istio manifests tree (no charts/base/)`,
    );
  });

  it('refuses a malformed version before it reaches a path or URL', async () => {
    await expect(provider().resolve('../../etc')).rejects.toThrow(
      'Istio release ../../etc from version: not an Istio version (expected MAJOR.MINOR.PATCH[-rc.N])',
    );
    await expect(provider().resolve('1.30.3/../x')).rejects.toThrow(ReleaseError);
    expect(server.hits.size).toBe(0);
  });

  it('drops a damaged cache entry and fetches the release again', async () => {
    const path = serveRelease(server, '/mirror', V, archiveOf(V));
    await provider().resolve(V);
    writeFileSync(join(cacheDir, `istio-${V}`, 'release.json'), '{');
    const again = await provider().resolve(V);
    expect(treeDigest(again.manifestsDir)).toBe(treeDigest(referenceManifests(V)));
    expect(server.hits.get(path)).toBe(2);
    expect(leftovers()).toEqual([`istio-${V}`]);
  });
});
