import { computeStatus } from '../../../operator/controller/status/compute-status';
import { installedIstioVersion } from '../../../operator/controller/status/istio-version';
import { statusChanged, statusPatch } from '../../../operator/controller/status/status-patch';

describe('status.meshwright.version', () => {
  it('follows the release rule: spec.tag, then values.global.tag, then the default', () => {
    expect(installedIstioVersion({ spec: { tag: '1.31.0-rc.0-distroless' } }, '1.30.3')).toBe('1.31.0-rc.0');
    expect(installedIstioVersion({ spec: { values: { global: { tag: '1.30.4' } } } }, '1.30.3')).toBe(
      '1.30.4',
    );
    expect(installedIstioVersion({ spec: { tag: 'latest' } }, '1.30.3')).toBe('1.30.3');
    expect(installedIstioVersion({}, '1.30.3')).toBe('1.30.3');
    expect(installedIstioVersion({ spec: null }, '1.30.3')).toBe('1.30.3');
    // A spec of the wrong shape still gets a status.
    expect(installedIstioVersion({ spec: { values: { global: 'x' } } }, '1.30.3')).toBe('1.30.3');
    expect(installedIstioVersion({}, 'not-a-version')).toBeUndefined();
  });

  it('is written with the status, changes it when the version changes, and is kept for an invalid spec', () => {
    const now = '2026-01-01T00:00:00Z';
    const healthy = computeStatus(
      undefined,
      { generation: 1, version: '1.30.3', outcomes: [{ component: 'Base', state: 'ready' }] },
      now,
    );
    expect(healthy.meshwright).toEqual({ version: '1.30.3' });
    const upgraded = computeStatus(
      healthy,
      { generation: 2, version: '1.31.0', outcomes: [{ component: 'Base', state: 'ready' }] },
      now,
    );
    expect(statusChanged(healthy, upgraded)).toBe(true);
    expect(statusPatch(healthy, upgraded).status.meshwright).toMatchObject({ version: '1.31.0' });
    const invalid = computeStatus(
      upgraded,
      { generation: 3, version: '1.31.0', invalid: { reason: 'InvalidSpec', message: 'bad' }, outcomes: [] },
      now,
    );
    expect(invalid.meshwright?.version).toBe('1.31.0');
    // A version that can no longer be told is removed, not left stale.
    const none = computeStatus(undefined, { generation: 1, outcomes: [] }, now);
    expect(statusPatch(upgraded, none).status.meshwright).toMatchObject({ version: null });
  });
});
