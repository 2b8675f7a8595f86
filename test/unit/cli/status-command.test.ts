// `meshwright status`: the shaping of IstioOperator status into rows, the table, and the command's own
// errors before and at the cluster (bad flags, an unreachable apiserver), each with its exit code.
import { commands } from '../../../cli/commands';
import { runStatus } from '../../../cli/status';
import { renderStatusTable, rolloutCell, statusReport } from '../../../cli/status-report';
import { runCli, unreachableKubeconfig } from './cli-fixtures';

const canary = {
  metadata: { namespace: 'istio-system', name: 'canary' },
  spec: { revision: 'canary' },
  status: {
    status: 'HEALTHY',
    meshwright: {
      version: '1.31.0',
      sidecars: {
        injected: 40,
        outdated: 25,
        expectedImage: 'docker.io/istio/proxyv2:1.31.0',
        outdatedWorkloads: Array.from({ length: 10 }, (_, i) => `shop/Deployment/w${i}`),
        outdatedWorkloadCount: 12,
      },
      sidecarRollout: {
        phase: 'Running',
        total: 10,
        pending: 6,
        restarted: ['shop/Deployment/w0', 'shop/Deployment/w1', 'shop/Deployment/w2', 'shop/Deployment/w3'],
        batch: ['shop/Deployment/w2', 'shop/Deployment/w3'],
        batches: 2,
        stuck: [],
        optedOut: ['shop/Deployment/w9', 'vault/StatefulSet/db'],
        optedOutCount: 2,
      },
    },
  },
};
const stable = {
  metadata: { namespace: 'istio-system', name: 'installed-state' },
  spec: {},
  status: { status: 'HEALTHY', meshwright: { version: '1.30.3', sidecars: { injected: 3, outdated: 0 } } },
};
const fresh = { metadata: { namespace: 'a', name: 'new' }, spec: { revision: 'x' } };

describe('statusReport', () => {
  it('makes one row per IstioOperator, sorted, with default for an empty revision', () => {
    const r = statusReport([stable, canary, fresh]);
    expect(r.revisions.map((x) => [x.namespace, x.name, x.revision, x.version, x.status])).toEqual([
      ['a', 'new', 'x', undefined, 'NONE'],
      ['istio-system', 'canary', 'canary', '1.31.0', 'HEALTHY'],
      ['istio-system', 'installed-state', 'default', '1.30.3', 'HEALTHY'],
    ]);
    expect(r.revisions[1]).toMatchObject({
      injected: 40,
      outdated: 25,
      outdatedWorkloadCount: 12,
      rollout: { phase: 'Running', restarted: 4, total: 10, pending: 6, batch: 2, optedOutCount: 2 },
    });
  });

  it('ignores status fields of the wrong type instead of failing', () => {
    const r = statusReport([
      {
        metadata: { name: 'odd', namespace: 'n' },
        status: { status: 7, meshwright: { sidecars: { outdated: '3' } } },
      },
      null,
    ]);
    expect(r.revisions.find((x) => x.name === 'odd')).toEqual({
      namespace: 'n',
      name: 'odd',
      revision: 'default',
      status: 'NONE',
      outdatedWorkloads: [],
      outdatedWorkloadCount: 0,
    });
  });
});

describe('revision tags in the report', () => {
  const tag = (name: string, state: string, revision: string) => ({
    metadata: { name },
    spec: { revision },
    status: { state, revision },
  });

  it('lists per revision the tags that serve it (Ready, by status), sorted, and prints them', () => {
    const r = statusReport(
      [stable, canary],
      [
        tag('prod', 'Ready', 'canary'),
        tag('default', 'Ready', 'canary'),
        tag('stable', 'RevisionNotReady', 'canary'),
        'junk',
      ],
    );
    expect(r.revisions.map((x) => [x.name, x.tags])).toEqual([
      ['canary', ['default', 'prod']],
      ['installed-state', undefined],
    ]);
    expect(renderStatusTable(r)).toContain(
      'Revision canary (istio-system/canary, Istio 1.31.0):\n  tags: default, prod\n',
    );
  });
});

describe('renderStatusTable', () => {
  it('prints the table, then per revision the first outdated workloads, the batch and the opt-outs', () => {
    const text = renderStatusTable(statusReport([stable, canary]));
    const lines = text.split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual([
      'NAMESPACE',
      'NAME',
      'REVISION',
      'VERSION',
      'STATUS',
      'INJECTED',
      'OUTDATED',
      'ROLLOUT',
    ]);
    expect(lines[1].split(/\s{2,}/)).toEqual([
      'istio-system',
      'canary',
      'canary',
      '1.31.0',
      'HEALTHY',
      '40',
      '25',
      'Running 4/10, batch 2, 2 opted out',
    ]);
    expect(lines[2].split(/\s{2,}/)).toEqual([
      'istio-system',
      'installed-state',
      'default',
      '1.30.3',
      'HEALTHY',
      '3',
      '0',
      '-',
    ]);
    // Columns line up.
    expect(lines[1].indexOf('1.31.0')).toBe(lines[0].indexOf('VERSION'));
    expect(text).toContain(
      'Revision canary (istio-system/canary, Istio 1.31.0):\n  12 workload(s) with outdated sidecars, first 10:\n    shop/Deployment/w0\n',
    );
    expect(text).toContain('    shop/Deployment/w9   (opted out)\n    ... and 2 more\n');
    expect(text).toContain('  rolling out (batch 2): shop/Deployment/w2, shop/Deployment/w3\n');
    expect(text).toContain('  opted out of the rollout (2): shop/Deployment/w9, vault/StatefulSet/db\n');
    // A revision with nothing outdated gets no section.
    expect(text).not.toContain('Revision default');
  });

  it('says when there is nothing, and names halted workloads', () => {
    expect(renderStatusTable({ revisions: [] })).toBe('No IstioOperators found.\n');
    const halted = {
      ...canary,
      status: {
        ...canary.status,
        status: 'ACTION_REQUIRED',
        meshwright: {
          ...canary.status.meshwright,
          sidecarRollout: {
            ...canary.status.meshwright.sidecarRollout,
            phase: 'Halted',
            stuck: ['shop/Deployment/w3'],
          },
        },
      },
    };
    const text = renderStatusTable(statusReport([halted]));
    expect(text).toContain('Halted 4/10, 1 stuck, 2 opted out');
    expect(text).toContain('  rollout halted, not Ready: shop/Deployment/w3\n');
    expect(rolloutCell(undefined)).toBe('-');
  });
});

describe('meshwright status (command)', () => {
  const cli = (argv: string[]) => runCli(runStatus, argv);
  const { kubeconfig } = unreachableKubeconfig('mw-status-cmd-');

  it('is registered and documents its flags', async () => {
    expect(commands.map((c) => c.name)).toContain('status');
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const f of ['-n, --namespace', '-o, --output', '--kubeconfig', '--context'])
      expect(r.out).toContain(f);
  });

  it('refuses an unknown output format and stray arguments with exit 2, naming the flag', async () => {
    expect(await cli(['-o', 'yaml', '--kubeconfig', kubeconfig])).toEqual({
      code: 2,
      out: '',
      err: 'meshwright status: --output must be table or json, not "yaml"\n',
    });
    expect((await cli(['extra'])).err).toBe('meshwright status: unexpected argument "extra"\n');
  });

  it('names an unknown context and an unreachable cluster, exit 1', async () => {
    const ctx = await cli(['--kubeconfig', kubeconfig, '--context', 'nope']);
    expect(ctx.code).toBe(1);
    expect(ctx.err).toContain('--context: no context "nope" in the kubeconfig (have: ctx)');
    const down = await cli(['--kubeconfig', kubeconfig]);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^meshwright status: cannot reach the cluster: /);
  });
});
