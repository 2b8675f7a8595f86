import { computeStatus } from '../../../operator/controller/status/compute-status';
import { injectionVersionOf } from '../../../operator/controller/status/injection-version';
import { statusChanged, statusPatch } from '../../../operator/controller/status/status-patch';
import { resolveVersion } from '../../../inject/versions';

const now = '2026-01-01T00:00:00Z';
const pass = (version: string | undefined, generation = 1) => ({
  generation,
  version,
  outcomes: [{ component: 'Pilot', state: 'ready' as const }],
});

describe('status.meshwright.injection', () => {
  it('is absent for releases the injector knows exactly (any patch or pre-release of 1.30 and 1.31)', () => {
    for (const v of ['1.30.3', '1.30.0', '1.31.0-rc.0', '1.31.1']) {
      expect([v, injectionVersionOf(v)]).toEqual([v, undefined]);
      expect(computeStatus(undefined, pass(v), now).meshwright).toEqual({ version: v });
    }
    expect(injectionVersionOf(undefined)).toBeUndefined();
  });

  it('names the nearest known version for a newer or older release, as the webhook resolves it', () => {
    const newer = computeStatus(undefined, pass('1.32.0'), now).meshwright;
    expect(newer).toEqual({
      version: '1.32.0',
      injection: {
        version: '1.31',
        exact: false,
        message: 'version 1.32.0 is not known to this build; injecting as 1.31, the nearest known version',
      },
    });
    // The same function as the webhook's: the two always agree.
    expect(newer?.injection?.version).toBe(resolveVersion('1.32.0').line);
    expect(injectionVersionOf('1.29.9')).toMatchObject({ version: '1.30', exact: false });
    expect(injectionVersionOf('2.0.0')?.version).toBe('1.31');
  });

  it('is written for an invalid spec too, and removed with null once the version is known again', () => {
    const invalid = computeStatus(
      undefined,
      {
        generation: 1,
        version: '1.33.2',
        invalid: { reason: 'RenderFailed', message: 'no release' },
        outcomes: [],
      },
      now,
    );
    expect(invalid.meshwright?.injection?.message).toContain('1.33.2');
    const fixed = computeStatus(invalid, pass('1.31.0', 2), now);
    expect(fixed.meshwright?.injection).toBeUndefined();
    expect(statusChanged(invalid, fixed)).toBe(true);
    expect(statusPatch(invalid, fixed).status.meshwright).toMatchObject({
      version: '1.31.0',
      injection: null,
    });
  });

  it('changes the status when it changes, and patches of exact versions do not mention it', () => {
    const a = computeStatus(undefined, pass('1.32.0'), now);
    const b = computeStatus(a, pass('1.29.0', 2), now);
    expect(statusChanged(a, b)).toBe(true);
    expect(statusPatch(a, b).status.meshwright).toMatchObject({
      injection: { version: '1.30', exact: false, message: expect.stringContaining('1.29.0') },
    });
    const exact = computeStatus(undefined, pass('1.30.3'), now);
    expect(statusPatch(undefined, exact).status.meshwright).not.toHaveProperty('injection');
    expect(statusChanged(exact, computeStatus(exact, pass('1.30.3'), now))).toBe(false);
  });
});
