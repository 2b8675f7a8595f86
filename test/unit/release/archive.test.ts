import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArchiveError,
  DEFAULT_EXTRACT_LIMITS,
  extractManifests,
  manifestsPath,
} from '../../../release/archive';
import { checkManifestsDir, treeDigest } from '../../../release/local';
import { referenceManifests, releaseEntries, tarGz, type FixtureEntry } from './fixtures';

const V = '1.30.3';
const M = `istio-${V}/manifests`;

describe('release archive extraction', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mw-archive-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  let runs = 0;
  /** Extracts into `<dir>/out` after clearing what an earlier call left there. */
  const extract = async (entries: readonly FixtureEntry[], version = V, limits = DEFAULT_EXTRACT_LIMITS) => {
    const archive = join(dir, `a${runs++}.tar.gz`);
    writeFileSync(archive, tarGz(entries));
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    return extractManifests(archive, version, join(dir, 'out'), limits);
  };
  const minimal: FixtureEntry[] = [
    { name: `${M}/charts/base/Chart.yaml`, data: 'name: base\n' },
    { name: `${M}/charts/istio-control/istio-discovery/Chart.yaml`, data: 'name: istiod\n' },
    { name: `${M}/profiles/default.yaml`, data: 'spec: {}\n' },
  ];

  it('extracts exactly the manifests tree of a release archive built from the reference', async () => {
    const ref = referenceManifests(V);
    const result = await extract(releaseEntries(V, ref));
    const out = join(dir, 'out');
    expect(() => checkManifestsDir(V, out, 'test')).not.toThrow();
    expect(treeDigest(out)).toBe(treeDigest(ref));
    expect(result.files).toBeGreaterThan(100);
    expect(existsSync(join(out, 'bin'))).toBe(false); // istioctl beside manifests/ is skipped
  });

  it('reads pax and GNU long names', async () => {
    const long = `${M}/charts/${'a'.repeat(60)}/${'b'.repeat(60)}`;
    await extract([
      ...minimal,
      { name: `${long}/pax.yaml`, data: 'pax', longName: 'pax' },
      { name: `${long}/gnu.yaml`, data: 'gnu', longName: 'gnu' },
    ]);
    const rel = long.slice(M.length + 1);
    expect(readFileSync(join(dir, 'out', rel, 'pax.yaml'), 'utf8')).toBe('pax');
    expect(readFileSync(join(dir, 'out', rel, 'gnu.yaml'), 'utf8')).toBe('gnu');
  });

  it('refuses a path traversal before writing anything outside the tree', async () => {
    await expect(extract([...minimal, { name: `${M}/../../../escaped`, data: 'x' }])).rejects.toThrow(
      /entry "istio-1.30.3\/manifests\/..\/..\/..\/escaped" contains ".."/,
    );
    expect(existsSync(join(dir, 'escaped'))).toBe(false);
    await expect(extract([{ name: '/etc/evil', data: 'x' }])).rejects.toThrow(/absolute/);
  });

  it('refuses symlinks and hard links that escape, keeps ones that stay inside', async () => {
    await expect(
      extract([...minimal, { name: `${M}/charts/evil`, type: 'symlink', linkName: '../../..' }]),
    ).rejects.toThrow(/symlink .*charts\/evil -> ..\/..\/.. escapes the manifests tree/);
    await expect(
      extract([...minimal, { name: `${M}/x`, type: 'symlink', linkName: '/etc' }]),
    ).rejects.toThrow(/is absolute/);
    await expect(
      extract([...minimal, { name: `${M}/h`, type: 'hardlink', linkName: `istio-${V}/bin/istioctl` }]),
    ).rejects.toThrow(/hard link .* escapes the manifests tree/);
    // A chain that is inside lexically but escapes through another link is caught on disk.
    await expect(
      extract([
        ...minimal,
        { name: `${M}/charts/deep/d`, type: 'symlink', linkName: '../..' },
        { name: `${M}/charts/deep/e`, type: 'symlink', linkName: 'd/..' },
      ]),
    ).rejects.toThrow(/symlink charts\/deep\/e -> d\/.. escapes/);

    await extract([
      ...minimal,
      { name: `${M}/profiles/alias.yaml`, type: 'symlink', linkName: 'default.yaml' },
      { name: `${M}/profiles/copy.yaml`, type: 'hardlink', linkName: `${M}/profiles/default.yaml` },
    ]);
    const out = join(dir, 'out', 'profiles');
    expect(lstatSync(join(out, 'alias.yaml')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(out, 'alias.yaml'))).toBe('default.yaml');
    expect(readFileSync(join(out, 'copy.yaml'), 'utf8')).toBe('spec: {}\n');
  });

  it('refuses a truncated gzip stream', async () => {
    const full = tarGz(releaseEntries(V, referenceManifests(V)));
    const archive = join(dir, 'cut.tar.gz');
    writeFileSync(archive, full.subarray(0, Math.floor(full.length / 2)));
    const err = await extractManifests(archive, V, join(dir, 'out')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as Error).message).toMatch(/not a complete gzip stream/);
  });

  it('refuses an archive whose top directory is another version, or that has no manifests', async () => {
    await expect(extract(releaseEntries('1.31.0-rc.0', referenceManifests('1.31.0-rc.0')))).rejects.toThrow(
      /archive has no istio-1.30.3\/ top directory/,
    );
    await expect(extract([{ name: `istio-${V}/bin/istioctl`, data: 'x' }])).rejects.toThrow(
      /archive has no istio-1.30.3\/manifests\/ files/,
    );
  });

  it('bounds entry counts and file sizes, refuses devices and duplicate files', async () => {
    const limits = { ...DEFAULT_EXTRACT_LIMITS, maxEntries: 3 };
    await expect(extract([...minimal, { name: `${M}/more`, data: 'x' }], V, limits)).rejects.toThrow(
      /more than 3 entries/,
    );
    const small = { ...DEFAULT_EXTRACT_LIMITS, maxFileBytes: 4 };
    await expect(extract(minimal, V, small)).rejects.toThrow(/Chart.yaml is 11 bytes, over the 4 limit/);
    await expect(extract([...minimal, { name: `${M}/fifo`, type: 'fifo' }])).rejects.toThrow(
      /unsupported tar type "6"/,
    );
    await expect(
      extract([...minimal, { name: `${M}/a`, data: 'x' }, { name: `${M}/a`, data: 'y' }]),
    ).rejects.toThrow(/holds a file twice/);
  });

  it('maps archive names to tree paths', () => {
    expect(manifestsPath(`./${M}/charts/x`, M)).toBe('charts/x');
    expect(manifestsPath(`istio-${V}/bin/istioctl`, M)).toBeUndefined();
    expect(manifestsPath(`${M}/`, M)).toBe('');
    expect(() => manifestsPath('C:/x', M)).toThrow(/absolute or non-POSIX/);
  });
});
