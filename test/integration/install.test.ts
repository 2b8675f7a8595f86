// `meshwright install` / `uninstall` against the local control plane with a real operator running (the
// OperatorManager in this process, watching one test namespace): `install --set profile=demo -y` ends
// HEALTHY with per-component progress printed, `uninstall -y` leaves nothing behind; bad flags, an
// unanswered question and a namespace no operator watches fail with a clear message and exit code.
// The commands run in-process through runInstall/runUninstall with captured output, exactly as `main` runs them.
import type { KubernetesObject } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runInstall, type CliIo } from '../../cli/install';
import { runUninstall } from '../../cli/uninstall';
import { createLogger } from '../../lib/log';
import { createRegistry } from '../../lib/metrics';
import { ownerSelector } from '../../operator/controller/apply/ownership';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { OperatorManager } from '../../operator/controller/manager';
import { MANAGED_KINDS } from '../../operator/render/gvk';
import { chartRender, releasesWithCrds } from './support/chart-render';
import { installIstioOperatorCrd } from './support/iop-crd';
import {
  clusterDir,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  kubeconfigPath,
  uniqueName,
  waitFor,
} from './support/cluster';

jest.setTimeout(180_000);

const IOP = 'install.istio.io/v1alpha1';
const kc = kubeConfig();
const admin = new RawKubeClient(kc);
let ns = '';
// A revision of its own, so pods other test files create cannot change this installation's sidecar census.
const rev = `i${Math.random().toString(16).slice(2, 8)}`;
const name = `installed-state-${rev}`;
let manager: OperatorManager | undefined;
const extraNamespaces: string[] = [];

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(
  run: (argv: string[], io: CliIo) => Promise<number>,
  argv: string[],
  stdin: string[] = [],
): Promise<Run> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), stdin: Readable.from(stdin) };
  const code = await run([...argv, `--kubeconfig=${kubeconfigPath()}`], io);
  return { code, out, err };
}

const iopRef = () => ({ apiVersion: IOP, kind: 'IstioOperator', namespace: ns, name });

async function ownedObjects(): Promise<KubernetesObject[]> {
  const lists = await Promise.all(
    MANAGED_KINDS.map((k) => admin.list(k.apiVersion, k.kind, ownerSelector({ namespace: ns, name }))),
  );
  return lists.flatMap((l) => l.items);
}

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-install-test');
  ns = await createTestNamespace('mw-install');
  const dir = clusterDir() ?? tmpdir();
  manager = new OperatorManager({
    kc,
    client: new RawKubeClient(kc),
    // The release's charts, with no Istio API CRDs for Base: other test files use the shared ones concurrently.
    render: chartRender({ releasesDir: releasesWithCrds([]) }),
    managedKinds: MANAGED_KINDS,
    namespace: ns,
    leaderElect: true,
    leaderElectionNamespace: ns,
    identity: 'install-test',
    resyncPeriodMs: 600_000,
    registry: createRegistry(false),
    log: createLogger({ level: 'info', stream: createWriteStream(join(dir, `operator-${ns}.log`)) }),
    onLostLeadership: () => undefined,
    pollMs: 1000,
  });
  await manager.start();
  await waitFor(async () => manager!.isLeader() && manager!.ready(), 30_000, 'operator leading and synced');
});

afterAll(async () => {
  await manager?.stop().catch(() => undefined);
  if (await admin.get(iopRef()).catch(() => undefined)) {
    await admin.mergePatch(iopRef(), { metadata: { finalizers: null } }).catch(() => undefined);
    await admin.delete(iopRef()).catch(() => undefined);
  }
  for (const o of await ownedObjects().catch(() => []))
    if (!o.metadata?.namespace)
      await admin
        .delete({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name! })
        .catch(() => undefined);
  if (ns) await deleteNamespace(ns);
  for (const n of extraNamespaces) await deleteNamespace(n);
});

describe('meshwright install and uninstall', () => {
  it('refuses to install without -y when stdin gives no answer, and applies nothing', async () => {
    const r = await cli(runInstall, ['--set', 'profile=demo', '--set', `namespace=${ns}`, '-r', rev]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`Create IstioOperator ${ns}/${name}:`);
    expect(r.err).toBe(
      'meshwright install: install needs confirmation, but stdin gave no answer (not a terminal or closed): pass -y to proceed without asking\n',
    );
    expect(await admin.get(iopRef())).toBeUndefined();
  });

  it('the built CLI reads the answer from a piped stdin and exits (no hang) when it is no or absent', () => {
    const root = join(__dirname, '..', '..');
    if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
      throw new Error('dist/ is missing: run `npm run build` before the integration tests');
    const argv = [join(root, 'bin', 'meshwright.js'), 'install', '--set', `namespace=${ns}`, '-r', rev];
    const run = (input: string) =>
      spawnSync(process.execPath, [...argv, `--kubeconfig=${kubeconfigPath()}`], {
        input,
        encoding: 'utf8',
        timeout: 30_000,
      });
    const no = run('n\n');
    expect({ status: no.status, err: no.stderr }).toEqual({
      status: 1,
      err: 'meshwright install: install cancelled\n',
    });
    expect(no.stdout).toContain('Proceed? (y/N) ');
    const none = run('');
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('stdin gave no answer (not a terminal or closed): pass -y');
  });

  it('install --set profile=demo -y ends HEALTHY with progress lines per component', async () => {
    const started = Date.now();
    const r = await cli(runInstall, [
      '--set',
      'profile=demo',
      '--set',
      `namespace=${ns}`,
      '--revision',
      rev,
      '-y',
      '--timeout',
      '150s',
    ]);
    const seconds = (Date.now() - started) / 1000;
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('  profile     demo\n');
    expect(r.out).toContain('  components  Base, Pilot, IngressGateways, EgressGateways\n');
    expect(r.out).toContain(`IstioOperator ${ns}/${name} created; waiting for HEALTHY\n`);
    // Every component reaches HEALTHY and says so once; the last line is the verdict.
    for (const c of ['Base', 'Pilot', 'IngressGateways', 'EgressGateways'])
      expect(r.out.split('\n').filter((l) => l === `✔ ${c}: HEALTHY`)).toHaveLength(1);
    expect(r.out.trimEnd().split('\n').pop()).toBe(
      `✔ Installation complete: IstioOperator ${ns}/${name} is HEALTHY`,
    );
    process.stdout.write(`install --set profile=demo -y: HEALTHY after ${seconds.toFixed(1)} s\n`);

    const iop = (await admin.get(iopRef())) as KubernetesObject & {
      spec?: Record<string, unknown>;
      status?: { status?: string };
    };
    expect(iop.spec).toEqual({ profile: 'demo', namespace: ns, revision: rev });
    expect(iop.status?.status).toBe('HEALTHY');
    expect(iop.metadata?.managedFields?.some((f) => f.manager === 'meshwright-install')).toBe(true);
    const deployments = (await ownedObjects())
      .filter((o) => o.kind === 'Deployment')
      .map((o) => o.metadata?.name);
    expect(deployments.sort()).toEqual(
      [`istiod-${rev}`, 'istio-egressgateway', 'istio-ingressgateway'].sort(),
    );
  });

  it('install again is an update of the same resource and returns at HEALTHY', async () => {
    const r = await cli(runInstall, [
      '--set',
      'profile=demo',
      '--set',
      `namespace=${ns}`,
      '--set',
      'meshConfig.enableTracing=false',
      '-r',
      rev,
      '-y',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Update IstioOperator ${ns}/${name}:`);
    expect(r.out).toContain(`IstioOperator ${ns}/${name} updated; waiting for HEALTHY\n`);
    const iop = (await admin.get(iopRef())) as KubernetesObject & { spec?: { meshConfig?: unknown } };
    expect(iop.spec?.meshConfig).toEqual({ enableTracing: false });
  });

  it('a bad --set path and an invalid value exit 2 with the field named, before touching the cluster', async () => {
    const badPath = await cli(runInstall, ['--set', 'valuez.global.hub=x', '-y']);
    expect(badPath.code).toBe(2);
    expect(badPath.err).toContain(
      'meshwright install: --set "valuez.global.hub=x": unknown IstioOperator field "valuez"',
    );
    const badValue = await cli(runInstall, [
      '--set',
      'profile=demo',
      '--set',
      'components.pilot.enabled=sure',
      '-y',
    ]);
    expect(badValue.code).toBe(2);
    expect(badValue.err).toBe(
      'meshwright install: spec.components.pilot.enabled: must be true or false, got "sure"\n',
    );
    const badProfile = await cli(runInstall, ['--set', 'profile=demoo', '-y']);
    expect(badProfile.code).toBe(2);
    expect(badProfile.err).toMatch(
      /^meshwright install: spec\.profile: unknown profile "demoo" \(supported: default, demo, /,
    );
  });

  it('says no operator is running in a namespace no operator watches, refuses a second IstioOperator for a revision and a terminating one', async () => {
    const other = uniqueName('mw-install-noop');
    extraNamespaces.push(other);
    const r = await cli(runInstall, [
      '--set',
      'profile=minimal',
      '--set',
      `namespace=${other}`,
      '-y',
      '--operator-wait',
      '3s',
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`Created namespace ${other}\n`);
    expect(r.err).toBe(
      `meshwright install: no operator wrote a status for IstioOperator ${other}/installed-state within 3s: ` +
        `is the Meshwright operator running and watching namespace ${other}?\n`,
    );
    await admin.delete({ apiVersion: IOP, kind: 'IstioOperator', namespace: other, name: 'installed-state' });

    // Another IstioOperator already installing the default revision there: refused, naming it.
    const theirs = { apiVersion: IOP, kind: 'IstioOperator', namespace: other, name: 'default' };
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'default', namespace: other },
      spec: { profile: 'minimal', namespace: other },
    } as KubernetesObject);
    const clash = await cli(runInstall, ['--set', `namespace=${other}`, '-y']);
    expect(clash.code).toBe(1);
    expect(clash.err).toBe(
      `meshwright install: IstioOperator ${other}/default already installs revision default into namespace ${other}: ` +
        'two would fight over the same objects. Change that resource instead, delete it first, or install another revision (--revision)\n',
    );
    expect(
      await admin.get({ apiVersion: IOP, kind: 'IstioOperator', namespace: other, name: 'installed-state' }),
    ).toBeUndefined();
    await admin.delete(theirs);

    // Its own resource still terminating (an uninstall in progress): refused instead of re-applied.
    const mine = { apiVersion: IOP, kind: 'IstioOperator', namespace: other, name: 'installed-state' };
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'installed-state', namespace: other, finalizers: ['meshwright.test/hold'] },
      spec: { namespace: other },
    } as KubernetesObject);
    await admin.delete(mine);
    const terminating = await cli(runInstall, ['--set', `namespace=${other}`, '-y']);
    expect(terminating.code).toBe(1);
    expect(terminating.err).toBe(
      `meshwright install: IstioOperator ${other}/installed-state is being deleted (its uninstall is still running): ` +
        'wait until it is gone (meshwright uninstall waits for that), then install again\n',
    );
    await admin.mergePatch(mine, { metadata: { finalizers: null } });
  });

  it('uninstall -y deletes the IstioOperator and waits until the operator removed everything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-uninstall-'));
    const file = join(dir, 'iop.yaml');
    writeFileSync(file, `apiVersion: ${IOP}\nkind: IstioOperator\nspec:\n  namespace: ${ns}\n`);
    expect((await ownedObjects()).length).toBeGreaterThan(10);
    const started = Date.now();
    const r = await cli(runUninstall, ['-f', file, '--revision', rev, '-y', '--timeout', '120s']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.slice(-2)).toEqual([
      '- 0 objects left',
      `✔ Uninstalled: IstioOperator ${ns}/${name} and its objects are gone`,
    ]);
    process.stdout.write(
      `uninstall -y: ${((Date.now() - started) / 1000).toFixed(1)} s; ${lines.filter((l) => / left$/.test(l)).join(', ')}\n`,
    );
    expect(await admin.get(iopRef())).toBeUndefined();
    expect(await ownedObjects()).toEqual([]);
    const again = await cli(runUninstall, ['-f', file, '--revision', rev, '-y']);
    expect(again.code).toBe(1);
    expect(again.err).toBe(
      `meshwright uninstall: IstioOperator ${ns}/${name} not found: nothing to uninstall\n`,
    );
  });
});
