// `meshwright operator` start-up against a loopback stand-in for the apiserver that has no Lease
// namespace and forbids creating one: the command must fail with the error that names the fix (and
// close its probe servers), not idle. The success path runs against a real apiserver in
// test/integration/operator-readme-start.test.ts.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { operator } from '../../../cli/operator';

let server: Server;
let tmp = '';
const requests: string[] = [];

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    requests.push(`${req.method} ${req.url}`);
    const reply = (code: number, body: string) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(body);
    };
    if (req.method === 'GET' && req.url?.startsWith('/api/v1/namespaces/istio-operator'))
      return reply(404, status(404, 'NotFound', 'namespaces "istio-operator" not found'));
    if (req.method === 'POST' && req.url?.startsWith('/api/v1/namespaces'))
      return reply(
        403,
        status(403, 'Forbidden', 'namespaces is forbidden: User "dev" cannot create resource "namespaces"'),
      );
    reply(500, status(500, 'InternalError', `unexpected ${req.method} ${req.url}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tmp = mkdtempSync(join(tmpdir(), 'mw-op-start-'));
  const port = (server.address() as AddressInfo).port;
  writeFileSync(
    join(tmp, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      // client-node refuses plain http unless TLS verification is off.
      'clusters: [{name: c, cluster: {server: "http://127.0.0.1:' +
        port +
        '", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n'),
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('meshwright operator start-up', () => {
  it('fails with a clear error when the Lease namespace is missing and cannot be created', async () => {
    delete process.env.POD_NAMESPACE;
    const started = Date.now();
    const run = operator.run([
      '--kubeconfig',
      join(tmp, 'kubeconfig'),
      '--metrics-port=0',
      '--health-port=0',
      `--releases-dir=${tmp}`,
    ]);
    await expect(run).rejects.toThrow(
      'leader election: the Lease namespace "istio-operator" does not exist and could not be created ' +
        '(namespaces is forbidden: User "dev" cannot create resource "namespaces"); create it, or pass ' +
        '--leader-election-namespace=<an existing namespace>, or run a single replica with --leader-elect=false',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    // The Kubernetes version first (charts render for it), then the Lease namespace.
    expect(requests).toEqual([
      'GET /version',
      'GET /api/v1/namespaces/istio-operator',
      'POST /api/v1/namespaces',
    ]);
  });
});
