// The lean kubeconfig loader: kubectl's merge of a KUBECONFIG list, paths relative to their file,
// every credential kind, rotating token files, in-cluster config, and errors naming file and field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectionFromKubeconfig,
  inClusterConnection,
  KubeconfigError,
  kubeconfigSource,
  loadKubeConnection,
  mergeKubeconfigs,
  rotatingToken,
} from '../../../lib/kube/config-loader';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function config(parts: { ctx?: string; clusters?: string; users?: string; contexts?: string }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    parts.ctx ? `current-context: ${parts.ctx}` : '',
    `clusters:${parts.clusters ?? ' []'}`,
    `users:${parts.users ?? ' []'}`,
    `contexts:${parts.contexts ?? ' []'}`,
  ].join('\n');
}

let dir = '';
const oldEnv = { ...process.env };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
});
afterEach(() => {
  process.env = { ...oldEnv };
});

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const BASE = config({
  ctx: 'a',
  clusters: `\n- name: c1\n  cluster:\n    server: https://10.0.0.1:6443/\n    certificate-authority-data: ${b64('CA1')}\n    tls-server-name: kube.local`,
  users: `\n- name: u1\n  user:\n    client-certificate: certs/u1.crt\n    client-key-data: ${b64('KEY1')}`,
  contexts: '\n- name: a\n  context:\n    cluster: c1\n    user: u1\n    namespace: team-a',
});

describe('kubeconfig files', () => {
  it('reads server, CA, server name, client certificate (relative to the file) and namespace', () => {
    const { mkdirSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    mkdirSync(join(dir, 'certs'));
    write('certs/u1.crt', 'CERT1');
    const conn = loadKubeConnection(write('config', BASE));
    expect(conn.server).toBe('https://10.0.0.1:6443');
    expect(conn.namespace).toBe('team-a');
    expect(conn.tls.ca?.toString()).toBe('CA1');
    expect(conn.tls.serverName).toBe('kube.local');
    expect(conn.tls.cert?.toString()).toBe('CERT1');
    expect(conn.tls.key?.toString()).toBe('KEY1');
    expect(conn.tls.insecureSkipTlsVerify).toBe(false);
    expect(conn.authorization).toBeUndefined();
    expect(conn.applyAuth).toBeUndefined();
  });

  it('merges a KUBECONFIG list as kubectl does: first current-context and first definition of a name win', () => {
    const first = write(
      'one',
      config({
        clusters: '\n- name: c1\n  cluster:\n    server: https://first:1',
        users: '\n- name: u1\n  user:\n    token: first-token',
      }),
    );
    const second = write(
      'two',
      config({
        ctx: 'b',
        clusters:
          '\n- name: c1\n  cluster:\n    server: https://second:2\n- name: c2\n  cluster:\n    server: https://c2:3\n    insecure-skip-tls-verify: true',
        users: '\n- name: u1\n  user:\n    token: second-token',
        contexts:
          '\n- name: b\n  context:\n    cluster: c1\n    user: u1\n- name: x\n  context:\n    cluster: c2',
      }),
    );
    process.env.KUBECONFIG = [first, join(dir, 'missing'), second].join(':');
    const conn = loadKubeConnection();
    expect(conn.server).toBe('https://first:1');
    expect(conn.authorization?.()).toBe('Bearer first-token');
    expect(conn.namespace).toBe('default');
    const other = loadKubeConnection(undefined, 'x');
    expect(other.server).toBe('https://c2:3');
    expect(other.tls.insecureSkipTlsVerify).toBe(true);
  });

  it('supports basic auth and token files', () => {
    write('tok', 'file-token\n');
    const m = mergeKubeconfigs([
      {
        file: join(dir, 'cfg'),
        text: config({
          ctx: 'p',
          clusters: '\n- name: c\n  cluster:\n    server: http://127.0.0.1:8080',
          users:
            '\n- name: basic\n  user:\n    username: admin\n    password: s3cret\n- name: tf\n  user:\n    tokenFile: tok',
          contexts:
            '\n- name: p\n  context:\n    cluster: c\n    user: basic\n- name: t\n  context:\n    cluster: c\n    user: tf',
        }),
      },
    ]);
    expect(connectionFromKubeconfig(m).authorization?.()).toBe(`Basic ${b64('admin:s3cret')}`);
    expect(connectionFromKubeconfig(m, { context: 't' }).authorization?.()).toBe('Bearer file-token');
  });

  it('leaves exec and auth-provider users to client-node, loaded only when used', () => {
    const m = mergeKubeconfigs([
      {
        file: 'cfg',
        text: config({
          ctx: 'e',
          clusters: '\n- name: c\n  cluster:\n    server: https://h:1',
          users:
            '\n- name: e\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: get-token',
          contexts: '\n- name: e\n  context:\n    cluster: c\n    user: e',
        }),
      },
    ]);
    const conn = connectionFromKubeconfig(m);
    expect(typeof conn.applyAuth).toBe('function');
    expect(conn.authorization).toBeUndefined();
  });

  it.each([
    ['not YAML', 'clusters: [', /kubeconfig .*cfg: not valid YAML/],
    ['a list', '- a', /cfg: must be a mapping/],
    ['no current-context', config({}), /current-context is not set/],
    ['an unknown context', config({ ctx: 'nope' }), /context "nope" is not defined under contexts/],
    [
      'an unknown cluster',
      config({ ctx: 'a', contexts: '\n- name: a\n  context:\n    cluster: gone' }),
      /cfg context "a": cluster "gone" is not defined under clusters/,
    ],
    [
      'a cluster without server',
      config({
        ctx: 'a',
        clusters: '\n- name: c\n  cluster: {}',
        contexts: '\n- name: a\n  context:\n    cluster: c',
      }),
      /cfg cluster "c": server is required/,
    ],
    [
      'a server that is not a URL',
      config({
        ctx: 'a',
        clusters: '\n- name: c\n  cluster:\n    server: 10.0.0.1:6443',
        contexts: '\n- name: a\n  context:\n    cluster: c',
      }),
      /cluster "c": server "10.0.0.1:6443" is not an http\(s\) URL/,
    ],
    [
      'a missing CA file',
      config({
        ctx: 'a',
        clusters:
          '\n- name: c\n  cluster:\n    server: https://h\n    certificate-authority: /nonexistent/ca.crt',
        contexts: '\n- name: a\n  context:\n    cluster: c',
      }),
      /cluster "c": certificate-authority \/nonexistent\/ca.crt: ENOENT/,
    ],
    [
      'a certificate without key',
      config({
        ctx: 'a',
        clusters: '\n- name: c\n  cluster:\n    server: https://h',
        users: `\n- name: u\n  user:\n    client-certificate-data: ${b64('C')}`,
        contexts: '\n- name: a\n  context:\n    cluster: c\n    user: u',
      }),
      /user "u": client-certificate and client-key must be given together/,
    ],
    [
      'a non-boolean insecure-skip-tls-verify',
      config({
        ctx: 'a',
        clusters: '\n- name: c\n  cluster:\n    server: https://h\n    insecure-skip-tls-verify: "yes"',
        contexts: '\n- name: a\n  context:\n    cluster: c',
      }),
      /insecure-skip-tls-verify must be true or false/,
    ],
    ['clusters not a list', 'clusters: {a: 1}', /cfg: clusters must be a list/],
    ['an entry without name', 'users:\n- user: {}', /cfg users\[0\]: name is required/],
  ])('rejects %s with the file and field', (_why, text, message) => {
    const p = write('cfg', text);
    expect(() => loadKubeConnection(p)).toThrow(KubeconfigError);
    expect(() => loadKubeConnection(p)).toThrow(message);
  });

  it('names a missing explicit file and an all-missing KUBECONFIG', () => {
    expect(() => loadKubeConnection(join(dir, 'nope'))).toThrow(/kubeconfig .*nope does not exist/);
    process.env.KUBECONFIG = join(dir, 'a') + ':' + join(dir, 'b');
    expect(() => loadKubeConnection()).toThrow(/KUBECONFIG: none of .*a:.*b exists/);
  });
});

describe('kubeconfig source (the one precedence of the lean and the client-node loader)', () => {
  const has =
    (...paths: string[]) =>
    (p: string) =>
      paths.includes(p);
  it('takes an explicit file, then KUBECONFIG (missing entries skipped), then in-cluster, then ~/.kube/config', () => {
    const env = { KUBECONFIG: '/k/a:/k/missing:/k/b', KUBERNETES_SERVICE_HOST: '10.0.0.1' };
    const exists = has('/f', '/k/a', '/k/b', '/home/me/.kube/config');
    expect(kubeconfigSource('/f', env, exists, '/home/me')).toEqual({
      kind: 'files',
      files: ['/f'],
      fromEnv: false,
    });
    expect(kubeconfigSource(undefined, env, exists, '/home/me')).toEqual({
      kind: 'files',
      files: ['/k/a', '/k/b'],
      fromEnv: true,
    });
    expect(kubeconfigSource(undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, exists, '/home/me')).toEqual({
      kind: 'in-cluster',
    });
    expect(kubeconfigSource(undefined, {}, exists, '/home/me')).toEqual({
      kind: 'files',
      files: ['/home/me/.kube/config'],
      fromEnv: false,
    });
    expect(() => kubeconfigSource(undefined, {}, has(), '/home/me')).toThrow(
      'no Kubernetes cluster configured (use --kubeconfig or KUBECONFIG)',
    );
  });
});

describe('rotating token', () => {
  it('re-reads the file once the token is a minute old, and keeps the last token when a re-read fails', () => {
    let now = 0;
    let content: string | Error = 'one';
    const read = () => {
      if (content instanceof Error) throw content;
      return Buffer.from(content);
    };
    const token = rotatingToken('/t', 'where', read, () => now);
    expect(token()).toBe('one');
    content = 'two';
    now = 59_999;
    expect(token()).toBe('one');
    now = 60_000;
    expect(token()).toBe('two');
    content = new Error('EACCES');
    now = 200_000;
    expect(token()).toBe('two');
  });

  it('fails the first read with the file named', () => {
    const token = rotatingToken('/t', 'user "u"', () => {
      throw new Error('ENOENT');
    });
    expect(() => token()).toThrow('kubeconfig user "u": token file /t: ENOENT');
  });
});

describe('in-cluster', () => {
  it('uses the service host and port, the mounted CA, namespace and token', () => {
    write('token', 'sa-token');
    write('ca.crt', 'CLUSTER-CA');
    write('namespace', 'meshwright-system');
    const conn = inClusterConnection(
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      dir,
    );
    expect(conn.server).toBe('https://[fd00::1]:443');
    expect(conn.namespace).toBe('meshwright-system');
    expect(conn.tls.ca?.toString()).toBe('CLUSTER-CA');
    expect(conn.authorization?.()).toBe('Bearer sa-token');
  });

  it('fails at load when no token is mounted', () => {
    expect(() => inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, dir)).toThrow(
      /token file .*token/,
    );
  });
});
