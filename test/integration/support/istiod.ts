// Upstream istiod 1.31.0 (pilot-discovery, built by hack/build-istiod.sh) run locally as a test partner:
// against a given kubeconfig, on its own free loopback ports for every listener, in a temporary working
// directory (it writes its DNS certificates and reads optional files relative to it), with its log in a
// file. Its HTTPS server (webhooks) uses a serving certificate for IP 127.0.0.1 that we issue, because the
// apiserver reaches it by URL on loopback and istiod's own DNS certificate names only the Service.
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedServing } from '../../../lib/certs';
import { cacheDir } from '../../../hack/cluster/binaries';
import { freePorts } from '../../../hack/cluster/ports';
import { stopProcess, tailFile } from '../../../hack/cluster/processes';
import { httpGet } from '../../../hack/cluster/readiness';

export const ISTIOD_VERSION = '1.31.0';
export const SKIP_ENV = 'MESHWRIGHT_SKIP_ISTIOD';

export function istiodBinary(): string {
  return join(cacheDir(), 'bin', `istiod-${ISTIOD_VERSION}`, 'pilot-discovery');
}

export type IstiodAvailability =
  | { kind: 'present'; binary: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'missing'; reason: string };

/**
 * Whether the istiod tests can run. A missing binary is an error unless MESHWRIGHT_SKIP_ISTIOD=1, so a
 * failed build never passes silently; the skip prints a banner saying so.
 */
export function istiodAvailability(): IstiodAvailability {
  const binary = istiodBinary();
  if (existsSync(binary)) return { kind: 'present', binary };
  const reason =
    `istiod ${ISTIOD_VERSION} binary absent at ${binary}: hack/build-istiod.sh did not build it ` +
    `(run it and read its output; it needs the Go module proxy)`;
  return process.env[SKIP_ENV] === '1' ? { kind: 'skipped', reason } : { kind: 'missing', reason };
}

export function skipBanner(what: string, reason: string): string {
  const bar = '*'.repeat(100);
  return `\n${bar}\n* SKIPPED: ${what}\n* ${reason}\n* (${SKIP_ENV}=1 is set; unset it to make this a failure)\n${bar}\n`;
}

export interface IstiodPorts {
  grpc: number;
  secureGrpc: number;
  /** HTTPS: /inject, /validate, /ready (the webhook port, 15017 in a cluster). */
  https: number;
  monitoring: number;
  /** Plain HTTP debug and readiness (8080 in a cluster). */
  http: number;
  ctrlz: number;
}

export interface RunningIstiod {
  pid: number;
  ports: IstiodPorts;
  /** CA of the HTTPS serving certificate (caBundle of webhooks registered by URL). */
  caPem: string;
  logFile: string;
  workDir: string;
  log(): string;
  /** Exit description once it exited, else undefined. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/**
 * istiod's loopback ports and HTTPS serving certificate, chosen before it starts: a caller that must name its
 * webhook URL and CA in what it installs first (an IstioOperator's `values.base.validationURL`) prepares them.
 */
export interface IstiodServing {
  ports: IstiodPorts;
  caPem: string;
  serving: { certPem: string; keyPem: string };
}

export async function prepareIstiodServing(): Promise<IstiodServing> {
  const [grpc, secureGrpc, https, monitoring, http, ctrlz] = await freePorts(6);
  const { ca, serving } = await selfSignedServing({ commonName: 'istiod-test', ipAddresses: ['127.0.0.1'] });
  return {
    ports: {
      grpc: grpc!,
      secureGrpc: secureGrpc!,
      https: https!,
      monitoring: monitoring!,
      http: http!,
      ctrlz: ctrlz!,
    },
    caPem: ca.certPem,
    serving: { certPem: serving.certPem, keyPem: serving.keyPem },
  };
}

export interface StartIstiodOptions {
  binary: string;
  kubeconfig: string;
  namespace: string;
  /** Where the log goes; default the working directory (removed on stop, so keep the log elsewhere to read it later). */
  logFile?: string;
  /** Extra environment (feature flags). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Ports and certificate prepared beforehand (prepareIstiodServing); default fresh ones. */
  serving?: IstiodServing;
  /** The revision it serves (REVISION: its ConfigMaps `istio-<rev>`, `istio-sidecar-injector-<rev>`); default `default`. */
  revision?: string;
  /** `--log_output_level`; default `default:info` (a suite may raise a scope, e.g. `tag-watcher:debug`). */
  logLevels?: string;
}

export async function startIstiod(o: StartIstiodOptions): Promise<RunningIstiod> {
  const workDir = mkdtempSync(join(tmpdir(), 'meshwright-istiod-'));
  const { ports, caPem, serving } = o.serving ?? (await prepareIstiodServing());
  const tls = { cert: join(workDir, 'tls.crt'), key: join(workDir, 'tls.key'), ca: join(workDir, 'ca.crt') };
  writeFileSync(tls.cert, serving.certPem);
  writeFileSync(tls.key, serving.keyPem, { mode: 0o600 });
  writeFileSync(tls.ca, caPem);
  const logFile = o.logFile ?? join(workDir, 'istiod.log');
  const loop = (p: number) => `127.0.0.1:${p}`;
  const args = [
    'discovery',
    `--kubeconfig=${o.kubeconfig}`,
    `--namespace=${o.namespace}`,
    `--grpcAddr=${loop(ports.grpc)}`,
    `--secureGRPCAddr=${loop(ports.secureGrpc)}`,
    `--httpsAddr=${loop(ports.https)}`,
    `--monitoringAddr=${loop(ports.monitoring)}`,
    `--httpAddr=${loop(ports.http)}`,
    '--ctrlz_address=127.0.0.1',
    `--ctrlz_port=${ports.ctrlz}`,
    `--tlsCertFile=${tls.cert}`,
    `--tlsKeyFile=${tls.key}`,
    `--caCertFile=${tls.ca}`,
    '--shutdownDuration=1s',
    `--log_output_level=${o.logLevels ?? 'default:info'}`,
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: workDir,
    POD_NAMESPACE: o.namespace,
    POD_NAME: 'istiod-local',
    REVISION: o.revision ?? 'default',
    // Our webhook configurations are registered by URL with our CA: istiod must not rewrite them, nor
    // look for the ones a chart install would have created.
    INJECTION_WEBHOOK_CONFIG_NAME: '',
    VALIDATION_WEBHOOK_CONFIG_NAME: '',
    ...o.env,
  };
  const fd = openSync(logFile, 'a');
  let exit: string | undefined;
  let pid: number | undefined;
  try {
    const child = spawn(o.binary, args, { cwd: workDir, env, stdio: ['ignore', fd, fd], detached: true });
    pid = child.pid;
    child.on('exit', (code, signal) => (exit = signal ? `signal ${signal}` : `exit code ${code}`));
    child.on('error', (err) => (exit ??= `spawn error ${err.message}`));
    child.unref();
  } finally {
    closeSync(fd);
  }
  if (pid === undefined) throw new Error(`istiod: failed to start ${o.binary}`);
  const record = { name: 'istiod', pid, command: o.binary, logFile };
  const running: RunningIstiod = {
    pid,
    ports,
    caPem,
    logFile,
    workDir,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    exited: () =>
      exit ? `istiod stopped (${exit}); last lines of ${logFile}:\n${tailFile(logFile, 30)}` : undefined,
    async stop() {
      await stopProcess(record, 10_000);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
  const timeoutMs = o.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const died = running.exited();
    if (died) throw new Error(died);
    const ready = await httpGet({ url: `http://127.0.0.1:${ports.http}/ready` }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return running;
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(
        `istiod not ready after ${timeoutMs} ms; last lines of its log:\n${tailFile(logFile, 30)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A log line of istiod at error level: `<time>\terror\t<scope>\t<message>`. */
export function errorLines(log: string): string[] {
  return log.split('\n').filter((l) => /^\S+\terror\t/.test(l));
}

/**
 * Error-level lines istiod logs against the local control plane that are not faults of the install, each
 * with why (shared by the suites that run istiod).
 */
export const BENIGN_ERRORS: { match: RegExp; why: string }[] = [
  {
    match:
      /\terror\tcontrollers\terror handling .*, retrying .*gatewayclasses\.gateway\.networking\.k8s\.io ".*" already exists/,
    why:
      'its GatewayClass controller reconciles every built-in class (istio, istio-remote) on each event; the ' +
      'event of its own create of one class can run before its informer has seen its create of the other, ' +
      'which it then creates again: AlreadyExists, which it does not treat as the harmless race it treats ' +
      'Conflict as, so it logs an error and retries (seen on the busy shared machine); the class exists',
  },
  {
    match:
      /\terror\tcontrollers\terror handling .*, retrying .*apply failed: patch apps\/v1, Kind=Deployment\/.*Operation cannot be fulfilled on deployments\.apps ".*": the object has been modified/,
    why:
      "its gateway Deployment controller applies with the object's resourceVersion; the controller-manager " +
      'updating the new Deployment (status, revision annotation) in between makes that apply a Conflict, ' +
      'which it logs at error level and retries; the Deployment tests prove the retry converges',
  },
  {
    match:
      /\terror\tcontrollers\terror handling \S+, retrying .*error when updating configmap istio-ca-root-cert: Operation cannot be fulfilled on configmaps "istio-ca-root-cert": the object has been modified/,
    why:
      'its namespace controller writes its root certificate into every namespace with an update at the ' +
      "resourceVersion it last saw; an earlier istiod's write (another suite's, with another CA) or " +
      'its own informer lagging makes that update a Conflict, which it logs at error level and retries. ' +
      'The key it names is the event that queued the namespace: the namespace, its istio-ca-root-cert or ' +
      'its istio-ca-crl ConfigMap (1.31 reconciles both on either), the update always of the root cert',
  },
];

export const unexpectedErrors = (log: string): string[] =>
  errorLines(log).filter((l) => !BENIGN_ERRORS.some((b) => b.match.test(l)));

/** POSTs JSON to istiod's HTTPS server on loopback (its /inject, /validate), trusting `ca`. */
export function postJson(
  port: number,
  path: string,
  body: unknown,
  ca: string,
): Promise<{ status: number; json: unknown }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca,
        headers: { 'content-type': 'application/json', 'content-length': data.length },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown });
          } catch {
            reject(new Error(`${path}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}
