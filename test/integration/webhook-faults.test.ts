// The webhook under sustained load while things change underneath it, and its shutdown under load.
// 1. In-process, cluster mode against the local control plane, TLS from files: for LOAD_SECONDS,
//    concurrent clients (half on kept-alive connections, half with a fresh TLS handshake per request)
//    send pod CREATE reviews while the serving certificate files rotate (kubelet-style atomic symlink
//    swaps and plain non-atomic rewrites, which pass through a half-written state) and the
//    `istio-sidecar-injector` ConfigMap changes every second. Zero failed requests, every answer
//    within the shipped webhooks' timeoutSeconds; rotations and configuration changes must be seen.
// 2. The built CLI (`meshwright webhook`, static mode) under load gets SIGTERM: requests in flight and
//    those arriving during --shutdown-delay are answered, a request whose body is still arriving when the
//    drain starts is completed, /readyz turns 503 at once, and the process exits 0.
// Bounded: about LOAD_SECONDS (default 15) + 10 s; WEBHOOK_FAULTS_LOAD_SECONDS raises it for long runs.
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { connect, type TLSSocket } from 'node:tls';
import type { V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import { applyPatch, type Operation } from 'fast-json-patch';
import { parse } from 'yaml';
import { createCertificateAuthority, issueCertificate, type PemPair } from '../../lib/certs';
import { createLogger } from '../../lib/log';
import { createRegistry } from '../../lib/metrics';
import { buildInjectionConfig, injectPod } from '../../inject';
import { type StartedWebhook, startWebhook } from '../../webhook/server/start';
import {
  admissionApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  uniqueName,
  waitFor,
} from './support/cluster';
import { seedInjectorConfigMaps } from './support/injector-config';
import { errorMessage } from '../../lib/errors';

const ROOT = join(__dirname, '..', '..');
const LOAD_SECONDS = Number(process.env.WEBHOOK_FAULTS_LOAD_SECONDS ?? 15);
jest.setTimeout(Math.max(180_000, (LOAD_SECONDS + 90) * 1000));
const CONCURRENCY = 8;

/** timeoutSeconds of the shipped webhooks: the apiserver gives up (and fails the pod) after this. */
function shippedTimeoutMs(): number {
  const mwc = parse(
    readFileSync(join(ROOT, 'config/webhook/standalone/mutatingwebhookconfiguration.yaml'), 'utf8'),
  ) as V1MutatingWebhookConfiguration;
  const all = (mwc.webhooks ?? []).map((w) => w.timeoutSeconds ?? 10);
  return Math.min(...all) * 1000;
}

function review(uid: string, name: string): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'load',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: 'load' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.invalid/app:1',
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { port: 'http', path: '/ready' } },
            },
          ],
        },
      },
    },
  });
}

interface Sample {
  ok: boolean;
  ms: number;
  error?: string;
  /** Serving certificate of a fresh connection. */
  fingerprint?: string;
  /** Proxy CPU request in the patch (shows which configuration answered). */
  cpu?: string;
  startedAt: number;
}

function post(
  port: number,
  body: string,
  agent: Agent,
  path = '/inject',
): Promise<{ status: number; text: string; fingerprint?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate?.()?.fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), fingerprint }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** One admission round trip, checked: 200, a review echoing the uid, allowed with a patch that applies. */
async function admit(port: number, agent: Agent, i: number): Promise<Sample> {
  const uid = `load-${i}`;
  const body = review(uid, `pod-${i}`);
  const startedAt = Date.now();
  const t0 = process.hrtime.bigint();
  try {
    const r = await post(port, body, agent);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 200)
      return { ok: false, ms, startedAt, error: `HTTP ${r.status} ${r.text.slice(0, 200)}` };
    const rv = JSON.parse(r.text) as { response?: { uid?: string; allowed?: boolean; patch?: string } };
    if (rv.response?.uid !== uid || rv.response.allowed !== true || !rv.response.patch)
      return { ok: false, ms, startedAt, error: `unexpected review ${r.text.slice(0, 300)}` };
    const ops = JSON.parse(Buffer.from(rv.response.patch, 'base64').toString('utf8')) as Operation[];
    const pod = applyPatch(
      (JSON.parse(body) as { request: { object: unknown } }).request.object,
      ops,
      true,
      false,
    ).newDocument as {
      spec: {
        containers: { name: string; resources?: { requests?: { cpu?: string } } }[];
        initContainers?: { name: string; resources?: { requests?: { cpu?: string } } }[];
      };
    };
    const proxy = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find(
      (c) => c.name === 'istio-proxy',
    );
    return { ok: true, ms, startedAt, fingerprint: r.fingerprint, cpu: proxy?.resources?.requests?.cpu };
  } catch (err) {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ok: false, ms, startedAt, error: errorMessage(err) };
  }
}

/** CONCURRENCY workers until `until()` is true; half keep connections alive, half handshake each time. */
async function load(port: number, ca: string[], until: () => boolean): Promise<Sample[]> {
  const samples: Sample[] = [];
  const keep = new Agent({ keepAlive: true, ca, maxSockets: CONCURRENCY });
  const fresh = new Agent({ keepAlive: false, ca, maxSockets: CONCURRENCY });
  let i = 0;
  const worker = async (w: number) => {
    while (!until()) samples.push(await admit(port, w % 2 === 0 ? keep : fresh, i++));
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  keep.destroy();
  fresh.destroy();
  return samples;
}

/**
 * The kube-apiserver as the client: dry-run pod creates in a namespace selected by a registered webhook
 * (failurePolicy Fail, the shipped timeoutSeconds). A create fails if the apiserver cannot call the
 * webhook (TLS, timeout) or the pod comes back without its sidecar.
 */
async function apiserverLoad(ns: string, until: () => boolean): Promise<Sample[]> {
  const core = coreApi();
  const samples: Sample[] = [];
  let i = 0;
  const worker = async () => {
    while (!until()) {
      const startedAt = Date.now();
      const t0 = process.hrtime.bigint();
      try {
        const pod = await core.createNamespacedPod({
          namespace: ns,
          dryRun: 'All',
          body: {
            metadata: { name: `api-${i++}` },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
          },
        });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const proxy = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
          (c) => c.name === 'istio-proxy',
        );
        samples.push(
          proxy
            ? { ok: true, ms, startedAt, cpu: proxy.resources?.requests?.cpu }
            : { ok: false, ms, startedAt, error: 'pod came back without istio-proxy' },
        );
      } catch (err) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const body = (err as { body?: unknown }).body;
        samples.push({
          ok: false,
          ms,
          startedAt,
          error: `${String(err)} ${String(body ?? '').slice(0, 300)}`,
        });
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return samples;
}

function summary(samples: Sample[]): string {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]?.toFixed(1);
  return `${samples.length} requests, ${samples.filter((s) => !s.ok).length} failed, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${ms[ms.length - 1]?.toFixed(1)} ms`;
}

const say = (msg: string) => process.stderr.write(`[webhook-faults] ${msg}\n`);

describe('webhook under load and faults', () => {
  const namespaces: string[] = [];
  const webhookConfigs: string[] = [];
  let work = '';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'meshwright-faults-'));
  });

  afterAll(async () => {
    for (const name of webhookConfigs)
      await admissionApi()
        .deleteMutatingWebhookConfiguration({ name })
        .catch(() => undefined);
    for (const ns of namespaces) await deleteNamespace(ns);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves without a single failure while certificates rotate and the injector ConfigMap changes', async () => {
    const core = coreApi();
    const istioNs = await createTestNamespace('faults-istio');
    namespaces.push(istioNs);
    const values = (cpu: string) =>
      JSON.stringify(
        buildInjectionConfig({
          overlays: [{ values: { global: { proxy: { resources: { requests: { cpu, memory: '64Mi' } } } } } }],
        }).values,
      );
    await seedInjectorConfigMaps(istioNs, values('100m'));

    // Kubelet's Secret volume layout: <dir>/tls.crt -> ..data/tls.crt, ..data -> ..<version>, swapped atomically.
    const ca = await createCertificateAuthority({ commonName: 'faults-ca' });
    const leaf = (n: number): Promise<PemPair> =>
      issueCertificate(ca, { commonName: `faults-${n}`, ipAddresses: ['127.0.0.1'] });
    const dir = join(work, 'tls');
    mkdirSync(dir);
    let version = 0;
    const publishAtomic = (pair: PemPair) => {
      const v = `..v${++version}`;
      mkdirSync(join(dir, v));
      writeFileSync(join(dir, v, 'tls.crt'), pair.certPem);
      writeFileSync(join(dir, v, 'tls.key'), pair.keyPem);
      symlinkSync(v, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    };
    publishAtomic(await leaf(0));
    symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
    symlinkSync('..data/tls.key', join(dir, 'tls.key'));
    const plainCert = join(work, 'plain.crt');
    const plainKey = join(work, 'plain.key');

    const logStream = new PassThrough();
    const logs: string[] = [];
    logStream.on('data', (d: Buffer) => logs.push(d.toString()));
    let webhook: StartedWebhook | undefined;
    const start = (certFile: string, keyFile: string) =>
      startWebhook({
        host: '127.0.0.1',
        port: 0,
        metricsPort: 0,
        healthPort: 0,
        config: { kind: 'cluster', istioNamespace: istioNs, nativeSidecars: 'auto' },
        tls: { kind: 'files', certFile, keyFile, pollMs: 100 },
        defaultRevision: 'default',
        ownNamespace: uniqueName('faults-own'),
        kubeConfig: kubeConfig(),
        injector: injectPod,
        log: createLogger({ stream: logStream }),
        registry: createRegistry(false),
      });

    // Phase A: symlink swaps. Phase B (a second server on plain files): non-atomic rewrites.
    const results: { phase: string; samples: Sample[] }[] = [];
    for (const phase of ['atomic symlink swap', 'non-atomic rewrite'] as const) {
      if (phase === 'non-atomic rewrite') {
        const p = await leaf(100);
        writeFileSync(plainCert, p.certPem);
        writeFileSync(plainKey, p.keyPem);
      }
      webhook =
        phase === 'atomic symlink swap'
          ? await start(join(dir, 'tls.crt'), join(dir, 'tls.key'))
          : await start(plainCert, plainKey);
      try {
        await webhook.synced;
        const port = webhook.server.port;
        // Phase A also has the apiserver as a client, through a registration like the shipped one.
        let apiNs: string | undefined;
        if (phase === 'atomic symlink swap') {
          const runLabel = uniqueName('faults');
          apiNs = await createTestNamespace('faults-api', {
            'meshwright.test/faults': runLabel,
          });
          namespaces.push(apiNs);
          const name = uniqueName('meshwright-faults');
          webhookConfigs.push(name);
          await admissionApi().createMutatingWebhookConfiguration({
            body: {
              metadata: { name },
              webhooks: [
                {
                  name: 'namespace.faults.meshwright.test',
                  clientConfig: {
                    url: `https://127.0.0.1:${port}/inject`,
                    caBundle: Buffer.from(ca.certPem).toString('base64'),
                  },
                  rules: [
                    {
                      operations: ['CREATE'],
                      apiGroups: [''],
                      apiVersions: ['v1'],
                      resources: ['pods'],
                      scope: 'Namespaced',
                    },
                  ],
                  namespaceSelector: { matchLabels: { 'meshwright.test/faults': runLabel } },
                  sideEffects: 'None',
                  admissionReviewVersions: ['v1'],
                  failurePolicy: 'Fail',
                  timeoutSeconds: shippedTimeoutMs() / 1000,
                },
              ],
            },
          });
          const probeNs = apiNs;
          await waitFor(
            async () => {
              const pod = await core.createNamespacedPod({
                namespace: probeNs,
                dryRun: 'All',
                body: {
                  metadata: { name: 'probe' },
                  spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
                },
              });
              return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some(
                (c) => c.name === 'istio-proxy',
              );
            },
            60_000,
            'the registration to take effect',
          );
        }
        const seconds = Math.max(3, Math.round(LOAD_SECONDS / 2));
        const deadline = Date.now() + seconds * 1000;
        let stop = false;
        const changer = (async () => {
          let n = 0;
          while (!stop && Date.now() < deadline) {
            n++;
            const pair = await leaf(n + (phase === 'atomic symlink swap' ? 0 : 1000));
            if (phase === 'atomic symlink swap') publishAtomic(pair);
            else {
              // cert first, key 150 ms later: the reloader sees a mismatched pair in between.
              writeFileSync(plainCert, pair.certPem);
              await new Promise((r) => setTimeout(r, 150));
              writeFileSync(plainKey, pair.keyPem);
            }
            await core.replaceNamespacedConfigMap({
              name: 'istio-sidecar-injector',
              namespace: istioNs,
              body: {
                metadata: { name: 'istio-sidecar-injector' },
                data: { values: values(`${100 + n}m`), config: 'policy: enabled\n' },
              },
            });
            await new Promise((r) => setTimeout(r, 700));
          }
        })();
        const [samples, viaApiserver] = await Promise.all([
          load(port, [ca.certPem], () => Date.now() >= deadline),
          apiNs ? apiserverLoad(apiNs, () => Date.now() >= deadline) : Promise.resolve(undefined),
        ]);
        stop = true;
        await changer;
        results.push({ phase, samples });
        say(`${phase}: ${summary(samples)}`);
        if (viaApiserver) {
          results.push({ phase: `${phase}, apiserver dry-run creates`, samples: viaApiserver });
          say(`${phase}, through the apiserver: ${summary(viaApiserver)}`);
        }
      } finally {
        await webhook.stop();
      }
    }

    const timeoutMs = shippedTimeoutMs();
    for (const { phase, samples } of results) {
      const failed = samples.filter((s) => !s.ok);
      expect({ phase, failed: failed.slice(0, 5).map((s) => s.error) }).toEqual({ phase, failed: [] });
      expect(samples.length).toBeGreaterThan(phase.includes('apiserver') ? 10 : 50);
      expect(Math.max(...samples.map((s) => s.ms))).toBeLessThan(timeoutMs);
      // The rotations and configuration changes really happened while serving.
      if (!phase.includes('apiserver')) {
        const certs = new Set(samples.map((s) => s.fingerprint).filter(Boolean));
        expect(certs.size).toBeGreaterThanOrEqual(2);
      }
      const cpus = new Set(samples.map((s) => s.cpu));
      expect(cpus.size).toBeGreaterThanOrEqual(2);
    }
    expect(logs.join('')).toMatch(/reloaded TLS certificate/);
    expect(logs.join('')).toMatch(/not a valid pair yet/);
  });

  it('completes in-flight requests on SIGTERM under load and exits 0', async () => {
    const cli = join(ROOT, 'bin', 'meshwright.js');
    const main = join(ROOT, 'dist', 'cli', 'main.js');
    expect(readFileSync(main).length).toBeGreaterThan(0); // needs `npm run build` (hack/test.sh builds first)
    const ca = await createCertificateAuthority({ commonName: 'sigterm-ca' });
    const pair = await issueCertificate(ca, { commonName: 'sigterm', ipAddresses: ['127.0.0.1'] });
    const certFile = join(work, 'sig.crt');
    const keyFile = join(work, 'sig.key');
    writeFileSync(certFile, pair.certPem);
    writeFileSync(keyFile, pair.keyPem);
    const shutdownDelayS = 2;
    const child = spawn(
      process.execPath,
      [
        cli,
        'webhook',
        '--static',
        `--tls-cert-file=${certFile}`,
        `--tls-key-file=${keyFile}`,
        '--host=127.0.0.1',
        '--port=0',
        '--metrics-port=0',
        '--health-port=0',
        `--shutdown-delay=${shutdownDelayS}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const log: string[] = [];
    let ports: { port: number; healthPort: number } | undefined;
    let buffered = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        log.push(line);
        try {
          const rec = JSON.parse(line) as { message?: string; port?: number; healthPort?: number };
          if (rec.message === 'webhook listening' && rec.port && rec.healthPort)
            ports = { port: rec.port, healthPort: rec.healthPort };
        } catch {
          // not a log record
        }
      }
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!ports && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      if (!ports) throw new Error(`webhook did not start:\n${log.join('\n')}`);
      const { port, healthPort } = ports;
      expect((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status).toBe(200);

      let killedAt = 0;
      let stopLoad = false;
      const loadDone = load(port, [ca.certPem], () => stopLoad);
      await new Promise((r) => setTimeout(r, 2000));
      // A request whose body is still arriving when the drain starts (well within the 5 s request timeout).
      const slowBody = review('slow', 'slow');
      const half = Math.floor(slowBody.length / 2);
      let slowAnswer = '';
      const slow = connect({ host: '127.0.0.1', port, ca: ca.certPem });
      const slowDone = new Promise<void>((resolve, reject) => {
        slow.on('data', (d: Buffer) => (slowAnswer += d.toString()));
        slow.on('end', resolve);
        slow.on('error', reject);
      });
      await new Promise<void>((r) => slow.once('secureConnect', () => r()));
      slow.write(
        `POST /inject HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(slowBody)}\r\nConnection: close\r\n\r\n` +
          slowBody.slice(0, half),
      );

      killedAt = Date.now();
      child.kill('SIGTERM');
      // Readiness drops as soon as the signal is handled (well within the delay); the port keeps answering.
      let readyStatus = 200;
      while (readyStatus === 200 && Date.now() - killedAt < (shutdownDelayS * 1000) / 2)
        readyStatus = (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status;
      expect(readyStatus).toBe(503);
      await new Promise((r) => setTimeout(r, (shutdownDelayS * 1000) / 2));
      stopLoad = true;
      const samples = await loadDone;
      // The drain has started or is about to: finish the slow request's body.
      await new Promise((r) => setTimeout(r, (shutdownDelayS * 1000) / 2 + 200));
      slow.write(slowBody.slice(half));
      await slowDone;
      const code = await exit;
      say(`SIGTERM: ${summary(samples)}; exit ${code}`);

      const failed = samples.filter((s) => !s.ok);
      expect(failed.map((s) => s.error)).toEqual([]);
      expect(Math.max(...samples.map((s) => s.ms))).toBeLessThan(shippedTimeoutMs());
      expect(samples.filter((s) => s.startedAt < killedAt).length).toBeGreaterThan(10);
      expect(samples.filter((s) => s.startedAt >= killedAt).length).toBeGreaterThan(0);
      expect(slowAnswer).toMatch(/^HTTP\/1\.1 200/);
      expect(slowAnswer).toContain('"uid":"slow"');
      expect(code).toBe(0);
      expect(log.join('\n')).toMatch(/webhook stopped/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
