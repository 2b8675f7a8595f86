// Parity with istioctl's own manifest-generate goldens, both releases, through the release's charts and
// the real helm. Objects are compared whole (as JSON data), selected as istioctl's test selects them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { render } from '../../../../operator/render/charts/render';
import { GOLDEN_CASES, SNAPSHOT_DRIFT, UNREFERENCED_GOLDENS } from './golden-cases';
import {
  diffObjects,
  withoutDrift,
  goldenDir,
  readInput,
  readObjects,
  referenceRelease,
  renderer,
  selectObjects,
  VERSIONS,
} from './parity-helpers';

jest.setTimeout(180_000);

describe.each(VERSIONS)('istioctl %s manifest-generate goldens', (version) => {
  const cases = GOLDEN_CASES.filter((c) => !c.versions || c.versions.includes(version));

  it('has a case for every golden file but the stale ones', () => {
    const files = readdirSync(join(goldenDir(version), 'output'));
    const covered = new Set([...cases.map((c) => c.golden), ...UNREFERENCED_GOLDENS]);
    expect(files.filter((f) => !covered.has(f))).toEqual([]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const inputs = c.input ? c.input.split(',').map((i) => readInput(version, i)) : [];
    const manifest = await render(inputs, referenceRelease(version), renderer(), {
      setFlags: c.setFlags,
      force: c.force,
      istioctlOnly: true,
    });
    let want = readObjects(join(goldenDir(version), 'output', c.golden));
    let have = selectObjects(manifest.objects, c.diffSelect);
    if (c.snapshot) {
      want = withoutDrift(want, SNAPSHOT_DRIFT);
      have = withoutDrift(have, SNAPSHOT_DRIFT);
    }
    expect(diffObjects(want, have)).toEqual([]);
    if (!c.diffSelect?.startsWith('no:')) expect(want.length).toBeGreaterThan(0);
  });
});
