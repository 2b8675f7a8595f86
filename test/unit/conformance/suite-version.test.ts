// The conformance runner configures the engine for the suite's release: where it reads that version.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteVersion } from '../../conformance/cases';

describe('suiteVersion', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'suite-version-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads istio-<version> from the directory or a parent', () => {
    const dir = join(root, 'istio-1.31.0-rc.0', 'inject');
    mkdirSync(dir, { recursive: true });
    expect(suiteVersion(dir)).toBe('1.31.0-rc.0');
    const flat = join(root, 'istio-1.30.3');
    mkdirSync(flat);
    expect(suiteVersion(flat)).toBe('1.30.3');
  });

  it('falls back to the README title, else ""', () => {
    const dir = join(root, 'cases');
    mkdirSync(dir);
    expect(suiteVersion(dir)).toBe('');
    writeFileSync(join(dir, 'README.md'), '# Istio 1.32.1 sidecar-injection conformance cases\n\ntext\n');
    expect(suiteVersion(dir)).toBe('1.32.1');
  });

  it('ignores directories that only look alike', () => {
    const dir = join(root, 'istio-latest', 'inject');
    mkdirSync(dir, { recursive: true });
    expect(suiteVersion(dir)).toBe('');
  });
});
