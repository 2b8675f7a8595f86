// Pure parts of the local control-plane manager (hack/cluster): version pins, state files, the
// generated kubeconfig/audit policy, and the fake nodes kwok adopts.
import { parseVersions } from '../../hack/cluster/binaries';
import { auditPolicy, kubeconfig } from '../../hack/cluster/config-files';
import { fakeNode, KWOK_NODE_ANNOTATION } from '../../hack/cluster/nodes';
import { parseState } from '../../hack/cluster/state';

describe('hack/cluster', () => {
  it('parses hack/versions.sh and rejects a missing pin', () => {
    const text = '# comment\nKUBE_VERSION=v1.35.8\nETCD_VERSION=v3.6.16\nKWOK_VERSION=v0.8.0\n';
    expect(parseVersions(text)).toEqual({ kube: 'v1.35.8', etcd: 'v3.6.16', kwok: 'v0.8.0' });
    expect(() => parseVersions('KUBE_VERSION=v1.35.8\n')).toThrow(/ETCD_VERSION/);
  });

  it('round-trips a state file and refuses foreign JSON', () => {
    const state = {
      version: 1,
      name: 'x',
      dir: '/tmp/x',
      kubeconfig: '/tmp/x/kubeconfig',
      server: 'https://127.0.0.1:1',
      startedAt: '2026-01-01T00:00:00Z',
      versions: { kube: 'v1', etcd: 'v3', kwok: 'v0' },
      processes: [{ name: 'etcd', pid: 42, command: '/bin/etcd', logFile: '/tmp/x/etcd.log' }],
    };
    expect(parseState(JSON.stringify(state))).toEqual(state);
    expect(() => parseState('{"version":2}')).toThrow(/not a meshwright/);
    expect(() => parseState(JSON.stringify({ ...state, processes: [{ pid: '42' }] }))).toThrow(
      /not a meshwright/,
    );
  });

  it('writes a token kubeconfig that embeds the CA', () => {
    const kc = kubeconfig({ server: 'https://127.0.0.1:6443', caPem: 'PEM', token: 't0k' }) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { token: string } }[];
      'current-context': string;
    };
    expect(kc.clusters[0]?.cluster.server).toBe('https://127.0.0.1:6443');
    expect(
      Buffer.from(kc.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString(),
    ).toBe('PEM');
    expect(kc.users[0]?.user.token).toBe('t0k');
    expect(kc['current-context']).toBe('meshwright-local');
  });

  it('audits every request at Metadata level except health checks', () => {
    const policy = auditPolicy() as { rules: { level: string; nonResourceURLs?: string[] }[] };
    expect(policy.rules.at(-1)).toEqual({ level: 'Metadata' });
    expect(
      policy.rules.filter((r) => r.level !== 'Metadata').every((r) => r.nonResourceURLs !== undefined),
    ).toBe(true);
  });

  it('describes a fake node kwok adopts, with room for thousands of pods', () => {
    const node = fakeNode('n0', 'v1.35.8');
    expect(node.metadata?.annotations?.[KWOK_NODE_ANNOTATION]).toBe('fake');
    expect(node.metadata?.labels?.type).toBe('kwok');
    expect(node.status?.nodeInfo?.kubeletVersion).toBe('v1.35.8');
    expect(Number(node.status?.allocatable?.pods)).toBeGreaterThanOrEqual(1000);
    expect(node.spec?.taints).toBeUndefined();
  });
});
