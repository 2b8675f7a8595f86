// The install/uninstall commands' own handling before any cluster call: help, --dry-run, unreadable files,
// bad durations, kubeconfig and context problems, each with its exit code and one clear line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from '../../../cli/commands';
import { runInstall } from '../../../cli/install';
import { runUninstall } from '../../../cli/uninstall';
import { runCli as cli, unreachableKubeconfig } from './cli-fixtures';

const { dir, kubeconfig } = unreachableKubeconfig('mw-install-cmd-');

describe('meshwright install (before the cluster)', () => {
  it('is registered next to uninstall', () => {
    expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(['install', 'uninstall']));
  });

  it('--help lists the istioctl-style flags', async () => {
    const r = await cli(runInstall, ['--help']);
    expect(r.code).toBe(0);
    for (const f of [
      '-f, --filename',
      '-s, --set',
      '-r, --revision',
      '-y, --skip-confirmation',
      '--timeout',
      '--context',
    ])
      expect(r.out).toContain(f);
  });

  it('--dry-run prints the IstioOperator it would apply and touches nothing', async () => {
    const r = await cli(runInstall, ['--set', 'profile=demo', '--dry-run', '--kubeconfig', '/nonexistent']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Create IstioOperator istio-system/installed-state:');
    expect(r.out).toContain('apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n');
    expect(r.out).toContain('spec:\n  profile: demo\n');
  });

  it('an unreadable -f file and a bad --timeout exit 2 naming them', async () => {
    const missing = await cli(runInstall, ['-f', join(dir, 'nope.yaml'), '-y']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^meshwright install: -f .*nope\.yaml: cannot read: ENOENT/);
    const badTimeout = await cli(runInstall, ['-y', '--timeout', 'soon', `--kubeconfig=${kubeconfig}`]);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.err).toBe(
      'meshwright install: --timeout: invalid duration "soon" (use e.g. 30s, 10m, 1h30m)\n',
    );
  });

  it('a missing kubeconfig or an unknown context exits 1 with the reason', async () => {
    const noFile = await cli(runInstall, ['-y', '--kubeconfig', join(dir, 'none')]);
    expect(noFile.code).toBe(1);
    expect(noFile.err).toBe(`meshwright install: kubeconfig ${join(dir, 'none')} does not exist\n`);
    const noCtx = await cli(runUninstall, ['-y', `--kubeconfig=${kubeconfig}`, '--context', 'prod']);
    expect(noCtx.code).toBe(1);
    expect(noCtx.err).toBe(
      'meshwright uninstall: --context: no context "prod" in the kubeconfig (have: ctx)\n',
    );
  });

  it('takes istioctl spellings: -f a,b, --readiness-timeout, -c', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(
      a,
      'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n',
    );
    writeFileSync(
      b,
      'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  hub: example.org/istio\n',
    );
    const r = await cli(runInstall, ['-f', `${a},${b}`, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('spec:\n  profile: minimal\n  hub: example.org/istio\n');
    const bad = await cli(runInstall, [
      '-y',
      '--readiness-timeout',
      '5x',
      '--timeout',
      '10s',
      '-c',
      kubeconfig,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--readiness-timeout: invalid duration "5x"');
  });

  it('an unexpected argument is bad usage', async () => {
    const r = await cli(runUninstall, ['demo']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('meshwright uninstall: unexpected argument "demo"\n');
  });
});
