import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestsDirRelease, ReleasesDirProvider } from '../../../release/local';
import { ReleaseError } from '../../../release/types';

const REFERENCE = join(__dirname, '../../../../shared/reference');

describe('local releases', () => {
  it('finds <dir>/istio-<version>/manifests with a stable tree digest', async () => {
    const provider = new ReleasesDirProvider(REFERENCE);
    const a = await provider.resolve('1.31.0-rc.0');
    expect(a.manifestsDir).toBe(join(REFERENCE, 'istio-1.31.0-rc.0', 'manifests'));
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const b = await new ReleasesDirProvider(REFERENCE).resolve('1.30.3');
    expect(b.digest).not.toBe(a.digest);
    expect(manifestsDirRelease('1.31.0-rc.0', a.manifestsDir).digest).toBe(a.digest);
  });

  it('names the version and the directory when a release is missing or no manifests tree', async () => {
    await expect(new ReleasesDirProvider(REFERENCE).resolve('1.29.9')).rejects.toThrow(
      /Istio release 1.29.9 from releases-dir .*istio-1.29.9\/manifests does not exist/,
    );
    const empty = mkdtempSync(join(tmpdir(), 'mw-rel-'));
    try {
      expect(() => manifestsDirRelease('1.31.0', empty)).toThrow(ReleaseError);
      expect(() => manifestsDirRelease('1.31.0', empty)).toThrow(
        /not an Istio manifests tree \(no charts\/base\/\)/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
