// Security checks of what Meshwright ships and runs:
// - TLS of the admission port: TLS 1.0 and 1.1 refused, 1.2 and 1.3 accepted, TLS 1.2 without forward
//   secrecy or with CBC suites refused, also after a live certificate swap. Each refusal has a positive
//   control (a permissive server with the same certificate accepts the same client), so a refusal is the
//   server's doing and not the client's OpenSSL defaults.
// - Every container of every workload in config/ (kustomize-rendered config/default and config/self-signed,
//   plus every YAML file parsed directly) runs non-root, with a read-only root filesystem, no privilege
//   escalation, all capabilities dropped and none added.
// - RBAC (config/rbac and the rendered overlays): no wildcard in apiGroups, resources, verbs or URLs.
// - No secret in the logs: the built CLI's webhook (--self-signed, cluster mode, debug logging, error paths
//   included) and operator run against the local control plane with their stderr captured; neither the
//   kubeconfig's bearer token, nor the self-signed private key, nor any Secret data value, nor a pod's
//   env value appears in it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent, request } from 'node:https';
import {
  createServer as createTlsServer,
  connect,
  type ConnectionOptions,
  type SecureVersion,
} from 'node:tls';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { createCertificateAuthority, issueCertificate } from '../../lib/certs';
import { createLogger } from '../../lib/log';
import { createRegistry } from '../../lib/metrics';
import { staticConfigSource } from '../../webhook/config/static';
import { buildInjectionConfig, injectPod } from '../../inject';
import { createWebhookMetrics } from '../../webhook/server/metrics';
import { type RunningWebhook, startWebhookServer } from '../../webhook/server/run';
import { TLS12_CIPHERS } from '../../webhook/tls/options';
import {
  admissionApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeconfigPath,
  uniqueName,
  waitFor,
} from './support/cluster';
import { operatorReleaseEnv } from './support/chart-render';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'meshwright.js');

type Obj = Record<string, unknown>;

// ------------------------------------------------------------------------------------------------ TLS

interface Handshake {
  ok: boolean;
  protocol?: string | null;
  cipher?: string;
  error?: string;
}

function handshake(port: number, ca: string[], opts: ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, ...opts }, () => {
      const result = { ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.setTimeout(0);
      socket.destroy();
      resolve(result);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timed out')));
    socket.on('error', (err: Error & { code?: string }) =>
      resolve({ ok: false, error: `${err.code ?? ''} ${err.message}` }),
    );
  });
}

/** Client settings that let Node's OpenSSL offer legacy protocols and suites at all. */
const LEGACY = 'DEFAULT:@SECLEVEL=0';

function legacyVersion(v: SecureVersion): ConnectionOptions {
  return { minVersion: v, maxVersion: v, ciphers: LEGACY };
}

const WEAK_TLS12 = [
  'ECDHE-ECDSA-AES128-SHA', // CBC
  'ECDHE-ECDSA-AES256-SHA', // CBC
  'ECDHE-ECDSA-AES128-SHA256', // CBC
  'ECDHE-ECDSA-AES256-SHA384', // CBC
  'AES128-GCM-SHA256', // static RSA key exchange: no forward secrecy
  'AES256-SHA', // static RSA, CBC
];

describe('admission port TLS', () => {
  let server: RunningWebhook;
  /** Both CAs (before and after the swap): the control keeps the first certificate. */
  const ca: string[] = [];
  let control: ReturnType<typeof createTlsServer>;
  let controlPort = 0;
  let pair = { cert: '', key: '' };

  beforeAll(async () => {
    const authority = await createCertificateAuthority({ commonName: 'security-ca' });
    const serving = await issueCertificate(authority, { commonName: 'security', ipAddresses: ['127.0.0.1'] });
    ca.push(authority.certPem);
    pair = { cert: serving.certPem, key: serving.keyPem };
    const registry = createRegistry(false);
    server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      metricsPort: 0,
      healthPort: 0,
      defaultRevision: 'default',
      keyPair: pair,
      injector: injectPod,
      source: staticConfigSource(buildInjectionConfig({ overlays: [] })),
      registry,
      metrics: createWebhookMetrics(registry),
      log: createLogger({ stream: new PassThrough() }),
      notReadyReason: () => undefined,
    });
    // The positive control: same certificate, anything OpenSSL can do.
    control = createTlsServer({ ...pair, minVersion: 'TLSv1', ciphers: LEGACY }, (s) => s.end());
    await new Promise<void>((r) => control.listen(0, '127.0.0.1', () => r()));
    const addr = control.address();
    controlPort = typeof addr === 'object' && addr ? addr.port : 0;
  });

  afterAll(async () => {
    await server?.close();
    await new Promise<void>((r) => (control ? control.close(() => r()) : r()));
  });

  const checkAll = async (label: string) => {
    for (const v of ['TLSv1', 'TLSv1.1'] as const) {
      const allowed = await handshake(controlPort, ca, legacyVersion(v));
      expect({ label, v, control: allowed.ok, protocol: allowed.protocol }).toEqual({
        label,
        v,
        control: true,
        protocol: v,
      });
      const refused = await handshake(server.port, ca, legacyVersion(v));
      expect({ label, v, ok: refused.ok }).toEqual({ label, v, ok: false });
      expect(refused.error).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|wrong version|no protocols/i);
    }
    for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
      const r = await handshake(server.port, ca, { minVersion: v, maxVersion: v });
      expect({ label, v, ok: r.ok, protocol: r.protocol }).toEqual({ label, v, ok: true, protocol: v });
    }
    for (const cipher of WEAK_TLS12) {
      const opts: ConnectionOptions = {
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.2',
        ciphers: `${cipher}:@SECLEVEL=0`,
      };
      const refused = await handshake(server.port, ca, opts);
      expect({ label, cipher, ok: refused.ok }).toEqual({ label, cipher, ok: false });
      // Only suites this ECDSA certificate can serve at all have a meaningful control.
      if (cipher.startsWith('ECDHE-ECDSA')) {
        const allowed = await handshake(controlPort, ca, opts);
        expect({ label, cipher, control: allowed.ok }).toEqual({ label, cipher, control: true });
      }
    }
    for (const cipher of TLS12_CIPHERS.split(':').filter((c) => c.includes('ECDSA'))) {
      const r = await handshake(server.port, ca, {
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.2',
        ciphers: cipher,
      });
      expect({ label, cipher, ok: r.ok, negotiated: r.cipher }).toEqual({
        label,
        cipher,
        ok: true,
        negotiated: cipher,
      });
    }
  };

  it('refuses TLS 1.0/1.1 and weak TLS 1.2 suites, accepts TLS 1.2 (AEAD, ECDHE) and 1.3', async () => {
    await checkAll('initial certificate');
  });

  it('keeps the same TLS policy after a live certificate swap', async () => {
    const authority = await createCertificateAuthority({ commonName: 'security-ca-2' });
    const serving = await issueCertificate(authority, {
      commonName: 'security-2',
      ipAddresses: ['127.0.0.1'],
    });
    server.setKeyPair({ cert: serving.certPem, key: serving.keyPem });
    ca.push(authority.certPem);
    // The swap took effect: the new certificate is served.
    const served = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: server.port, ca }, () => {
        resolve(String(socket.getPeerCertificate().subject.CN));
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(served).toBe('security-2');
    await checkAll('after setKeyPair');
  });
});

// ------------------------------------------------------------------------------------------------ config/

function kustomizeBinary(): string {
  const r = spawnSync('bash', [join(ROOT, 'hack/build-kustomize.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hack/build-kustomize.sh failed: ${r.stderr}`);
  return r.stdout.trim();
}

function documents(text: string, source: string): { source: string; obj: Obj }[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((o): o is Obj => typeof o === 'object' && o !== null && !Array.isArray(o))
    .map((obj) => ({ source, obj }));
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

interface Container {
  name: string;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
}

interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers?: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: { hostPath?: unknown }[];
}

function podSpecOf(o: Obj): PodSpec | undefined {
  const spec = o.spec as Obj | undefined;
  if (!spec) return undefined;
  if (o.kind === 'Pod') return spec as PodSpec;
  if (o.kind === 'CronJob')
    return (((spec.jobTemplate as Obj)?.spec as Obj)?.template as Obj)?.spec as PodSpec;
  const tpl = spec.template as Obj | undefined;
  return ['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job'].includes(String(o.kind))
    ? (tpl?.spec as PodSpec | undefined)
    : undefined;
}

function hardeningProblems(o: Obj): string[] {
  const spec = podSpecOf(o);
  if (!spec) return [];
  const where = `${String(o.kind)}/${String((o.metadata as Obj | undefined)?.name)}`;
  const problems: string[] = [];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${where}: host namespaces`);
  if ((spec.volumes ?? []).some((v) => v.hostPath)) problems.push(`${where}: hostPath volume`);
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const sc = c.securityContext ?? {};
    const at = `${where} container ${c.name}`;
    const nonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
    const uid = sc.runAsUser ?? spec.securityContext?.runAsUser;
    if (nonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
    if (uid === 0) problems.push(`${at}: runAsUser 0`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem is not true`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
    if (sc.privileged === true) problems.push(`${at}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: capabilities do not drop ALL`);
    if ((sc.capabilities?.add ?? []).length > 0)
      problems.push(`${at}: adds capabilities ${sc.capabilities?.add?.join(',')}`);
  }
  return problems;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  nonResourceURLs?: string[];
  resourceNames?: string[];
}

function wildcardProblems(o: Obj): string[] {
  if (o.kind !== 'ClusterRole' && o.kind !== 'Role') return [];
  const where = `${String(o.kind)}/${String((o.metadata as Obj | undefined)?.name)}`;
  const problems: string[] = [];
  if (o.aggregationRule) problems.push(`${where}: aggregationRule (grants whatever is aggregated)`);
  for (const r of (o.rules as Rule[] | undefined) ?? []) {
    for (const field of ['apiGroups', 'resources', 'verbs', 'nonResourceURLs', 'resourceNames'] as const) {
      for (const v of r[field] ?? [])
        if (v.includes('*')) problems.push(`${where}: ${field} contains ${JSON.stringify(v)}`);
    }
  }
  return problems;
}

describe('config/ hardening and RBAC', () => {
  let all: { source: string; obj: Obj }[] = [];

  beforeAll(() => {
    const kustomize = kustomizeBinary();
    for (const overlay of ['config/default', 'config/self-signed']) {
      const r = spawnSync(kustomize, ['build', join(ROOT, overlay)], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      if (r.status !== 0) throw new Error(`kustomize build ${overlay}: ${r.stderr}`);
      all.push(...documents(r.stdout, overlay));
    }
    for (const file of yamlFiles(join(ROOT, 'config'))) {
      if (file.includes(`${join('config', 'crd')}`)) continue; // CRD schemas mention every field name
      all.push(...documents(readFileSync(file, 'utf8'), relative(ROOT, file)));
    }
    all = all.filter(({ obj }) => typeof obj.kind === 'string');
  });

  it('finds the workloads and roles it checks', () => {
    const kinds = all.map(({ obj }) => obj.kind);
    expect(kinds.filter((k) => k === 'Deployment').length).toBeGreaterThanOrEqual(4); // 2 per overlay
    expect(kinds).toContain('ClusterRole');
    expect(kinds).toContain('Role');
  });

  it('runs every container non-root, read-only, without escalation, with all capabilities dropped', () => {
    const problems = all.flatMap(({ source, obj }) => hardeningProblems(obj).map((p) => `${source}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('grants no wildcard in any Role or ClusterRole', () => {
    const problems = all.flatMap(({ source, obj }) => wildcardProblems(obj).map((p) => `${source}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('detects what it must (the checks themselves can fail)', () => {
    expect(
      hardeningProblems({
        kind: 'Deployment',
        metadata: { name: 'bad' },
        spec: {
          template: {
            spec: { containers: [{ name: 'c', securityContext: { capabilities: { add: ['NET_ADMIN'] } } }] },
          },
        },
      }),
    ).toHaveLength(5);
    expect(
      wildcardProblems({
        kind: 'ClusterRole',
        metadata: { name: 'bad' },
        rules: [{ apiGroups: ['*'], resources: ['pods'], verbs: ['*'] }],
      }),
    ).toHaveLength(2);
  });
});

// ------------------------------------------------------------------------------------------------ logs

interface Proc {
  log: string[];
  exit: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  running(): boolean;
}

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The operator renders through the reference releases with the pinned helm (no download).
    env: { ...process.env, ...operatorReleaseEnv(), LOG_LEVEL: 'debug' },
  });
  const log: string[] = [];
  child.stdout?.on('data', (d: Buffer) => log.push(d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString('utf8')));
  return {
    log,
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    kill: (s) => child.kill(s),
    running: () => child.exitCode === null && child.signalCode === null,
  };
}

/** Every base64 line of a PEM body, and the whole body joined: none may appear anywhere. */
function pemFragments(pem: string): string[] {
  const lines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  return [lines.join(''), ...lines.filter((l) => l.length >= 32)];
}

describe('no secret in the logs', () => {
  const namespaces: string[] = [];
  let mwc = '';

  afterAll(async () => {
    if (mwc)
      await admissionApi()
        .deleteMutatingWebhookConfiguration({ name: mwc })
        .catch(() => undefined);
    for (const ns of namespaces) await deleteNamespace(ns);
  });

  it('webhook (--self-signed, cluster mode, debug) and operator logs hold no token, key or Secret data', async () => {
    expect(existsSync(join(ROOT, 'dist', 'cli', 'main.js'))).toBe(true); // `npm run build` first (hack/test.sh does)
    const kubeconfigText = readFileSync(kubeconfigPath(), 'utf8');
    const token = /token:\s*(\S+)/.exec(kubeconfigText)?.[1];
    expect(token && token.length).toBeGreaterThan(10);

    const core = coreApi();
    const own = await createTestNamespace('sec-own');
    const istio = await createTestNamespace('sec-istio');
    const opNs = await createTestNamespace('sec-op');
    namespaces.push(own, istio, opNs);
    await core.createNamespacedConfigMap({
      namespace: istio,
      body: {
        metadata: { name: 'istio-sidecar-injector' },
        data: {
          values: JSON.stringify(buildInjectionConfig({ overlays: [] }).values),
          config: 'policy: enabled\n',
        },
      },
    });
    // A Secret in the operator's namespace: its value must not be logged by anyone.
    const secretValue = `s3cr3t-${uniqueName('v')}`;
    await core.createNamespacedSecret({
      namespace: opNs,
      body: { metadata: { name: 'app-secret' }, stringData: { password: secretValue } },
    });
    mwc = uniqueName('sec-mwc');
    await admissionApi().createMutatingWebhookConfiguration({
      body: { metadata: { name: mwc }, webhooks: [] },
    });

    const webhook = run([
      'webhook',
      '--self-signed',
      `--kubeconfig=${kubeconfigPath()}`,
      `--istio-namespace=${istio}`,
      `--webhook-namespace=${own}`,
      `--webhook-config=${mwc}`,
      '--webhook-config=meshwright-does-not-exist', // an error path: the API's 404 gets logged
      '--self-signed-san=127.0.0.1',
      '--host=127.0.0.1',
      '--port=0',
      '--metrics-port=0',
      '--health-port=0',
      '--shutdown-delay=0',
      '--log-level=debug',
    ]);
    const operator = run([
      'operator',
      `--kubeconfig=${kubeconfigPath()}`,
      `--namespace-to-watch=${opNs}`,
      `--leader-election-namespace=${opNs}`,
      '--metrics-port=0',
      '--health-port=0',
    ]);
    try {
      const port = await waitFor(
        async () => {
          for (const chunk of webhook.log.join('').split('\n')) {
            try {
              const rec = JSON.parse(chunk) as { message?: string; port?: number };
              if (rec.message === 'webhook listening' && rec.port) return rec.port;
            } catch {
              // partial or non-JSON line
            }
          }
          if (!webhook.running()) throw new Error(`webhook exited:\n${webhook.log.join('')}`);
          return undefined;
        },
        60_000,
        'the webhook to listen',
      );
      const secret = await waitFor(
        async () =>
          (await core.readNamespacedSecret({ name: 'meshwright-webhook-tls', namespace: own })).data,
        30_000,
        'the self-signed Secret',
      );
      const caPem = Buffer.from(secret['ca.crt'] ?? '', 'base64').toString('utf8');
      // Admission traffic: a pod with a secret env value, an invalid one, a broken review.
      const agent = new Agent({ ca: caPem });
      const podEnvValue = `envsecret-${uniqueName('e')}`;
      const post = (body: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path: '/inject',
              method: 'POST',
              agent,
              headers: { 'content-type': 'application/json' },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const reviewOf = (object: unknown) =>
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            uid: 'sec',
            kind: { group: '', version: 'v1', kind: 'Pod' },
            resource: { group: '', version: 'v1', resource: 'pods' },
            operation: 'CREATE',
            namespace: 'app',
            object,
          },
        });
      const env = [{ name: 'PASSWORD', value: podEnvValue }];
      expect(
        await post(reviewOf({ metadata: { name: 'a' }, spec: { containers: [{ name: 'a', env }] } })),
      ).toBe(200);
      expect(
        await post(
          reviewOf({
            metadata: { name: 'b', annotations: { 'sidecar.istio.io/interceptionMode': 'SIDEWAYS' } },
            spec: { containers: [{ name: 'a', env }] },
          }),
        ),
      ).toBe(200);
      expect(await post(reviewOf({ spec: { containers: podEnvValue } }))).toBe(200);
      expect(await post(`{"x":"${podEnvValue}"`)).toBe(400);
      agent.destroy();
      // Give the operator time to start, elect itself and list its namespace.
      await new Promise((r) => setTimeout(r, 3000));
      const tlsKey = Buffer.from(secret['tls.key'] ?? '', 'base64').toString('utf8');
      expect(tlsKey).toMatch(/PRIVATE KEY/);

      webhook.kill('SIGTERM');
      operator.kill('SIGTERM');
      await Promise.race([
        Promise.all([webhook.exit, operator.exit]),
        new Promise((r) => setTimeout(r, 40_000)),
      ]);

      const forbidden: [string, string][] = [
        ['kubeconfig bearer token', token ?? ''],
        ['Secret value', secretValue],
        ['Secret value (base64)', Buffer.from(secretValue).toString('base64')],
        ['pod env value', podEnvValue],
        ...pemFragments(tlsKey).map((f, i): [string, string] => [`self-signed private key fragment ${i}`, f]),
        ...Object.entries(secret)
          .filter(([k]) => k === 'tls.key')
          .map(([k, v]): [string, string] => [`Secret data ${k} (base64)`, v]),
      ];
      for (const [name, text] of [
        ['webhook', webhook.log.join('')],
        ['operator', operator.log.join('')],
      ] as const) {
        expect(text.length).toBeGreaterThan(200); // something was logged
        const found = forbidden.filter(([, v]) => v && text.includes(v)).map(([what]) => what);
        expect({ process: name, found }).toEqual({ process: name, found: [] });
      }
      // The webhook's debug log did cover the error path and the admissions.
      const webhookLog = webhook.log.join('');
      expect(webhookLog).toMatch(/meshwright-does-not-exist/);
      expect(webhookLog).toMatch(/"decision":"injected"/);
      expect(webhookLog).toMatch(/"decision":"rejected"/);
      expect(operator.log.join('')).toMatch(/operator started/);
    } finally {
      if (webhook.running()) webhook.kill('SIGKILL');
      if (operator.running()) operator.kill('SIGKILL');
    }
  });
});
