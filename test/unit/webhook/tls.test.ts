import { PassThrough } from 'stream';
import { connect as connectTcp, type Socket } from 'net';
import { connect } from 'tls';
import { selfSignedServing } from '../../../lib/certs';
import { createLogger } from '../../../lib/log';
import type { Registry } from 'prom-client';
import { createRegistry } from '../../../lib/metrics';
import { createWebhookMetrics } from '../../../webhook/server/metrics';
import { startWebhookServer } from '../../../webhook/server/run';
import { CertFileReloader } from '../../../webhook/tls/reloader';
import type { KeyPair } from '../../../webhook/tls/options';
import { fakeInjector, injectsProxy, review, staticSource } from './fixtures';

const log = createLogger({ stream: new PassThrough() });

async function pair(cn: string): Promise<KeyPair & { ca: string }> {
  const { ca, serving } = await selfSignedServing({
    commonName: cn,
    ipAddresses: ['127.0.0.1'],
    validityDays: 2,
  });
  return { cert: serving.certPem, key: serving.keyPem, ca: ca.certPem };
}

describe('CertFileReloader', () => {
  it('loads, ignores unchanged files, applies a valid change and keeps the old pair on a bad one', async () => {
    const a = await pair('a');
    const b = await pair('b');
    const files: Record<string, string> = { cert: String(a.cert), key: String(a.key) };
    const applied: KeyPair[] = [];
    const reloader = new CertFileReloader(
      { certFile: 'cert', keyFile: 'key' },
      (p) => applied.push(p),
      log,
      (f) => {
        if (!(f in files)) throw new Error(`ENOENT ${f}`);
        return files[f];
      },
    );
    expect(reloader.load().cert).toBe(a.cert);
    expect(reloader.check()).toBe(false);
    // Half-way through a rotation: new cert, old key.
    files.cert = String(b.cert);
    expect(reloader.check()).toBe(false);
    files.key = String(b.key);
    expect(reloader.check()).toBe(true);
    expect(applied.map((p) => p.cert)).toEqual([b.cert]);
    delete files.key;
    expect(reloader.check()).toBe(false);
  });

  it('refuses to start with an invalid pair', async () => {
    const a = await pair('a');
    const b = await pair('b');
    const files: Record<string, string> = { cert: String(a.cert), key: String(b.key) };
    const reloader = new CertFileReloader(
      { certFile: 'cert', keyFile: 'key' },
      () => undefined,
      log,
      (f) => files[f],
    );
    expect(() => reloader.load()).toThrow();
  });
});

describe('startWebhookServer', () => {
  /** A webhook on loopback ports with a fake injector. */
  function start(keyPair: KeyPair, registry: Registry, notReadyReason: () => string | undefined) {
    return startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      metricsPort: 0,
      healthPort: 0,
      defaultRevision: 'default',
      keyPair,
      injector: fakeInjector(injectsProxy),
      source: staticSource(),
      registry,
      metrics: createWebhookMetrics(registry),
      log,
      notReadyReason,
    });
  }

  function peerCommonName(port: number, opts: { ca: string; maxVersion?: 'TLSv1.1' }): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: opts.ca, maxVersion: opts.maxVersion }, () => {
        const cn = socket.getPeerCertificate().subject.CN;
        socket.end();
        resolve(String(cn));
      });
      socket.on('error', reject);
    });
  }

  it('serves TLS 1.2+ only, swaps the certificate live and reports readiness on the health port', async () => {
    const a = await pair('first');
    const b = await pair('second');
    let notReady: string | undefined = 'waiting for informers: configmaps';
    const registry = createRegistry(false);
    const server = await start(a, registry, () => notReady);
    try {
      expect(await peerCommonName(server.port, { ca: a.ca })).toBe('first');
      await expect(peerCommonName(server.port, { ca: a.ca, maxVersion: 'TLSv1.1' })).rejects.toThrow();
      server.setKeyPair(b);
      expect(await peerCommonName(server.port, { ca: b.ca })).toBe('second');

      const ready = await fetch(`http://127.0.0.1:${server.healthPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/configmaps/);
      notReady = undefined;
      expect((await fetch(`http://127.0.0.1:${server.healthPort}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${server.healthPort}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/meshwright_webhook_requests_total/);
      server.markShuttingDown();
      const draining = await fetch(`http://127.0.0.1:${server.healthPort}/readyz`);
      expect(draining.status).toBe(503);
      expect(await draining.text()).toMatch(/shutting down/);
    } finally {
      await server.close();
    }
  });

  it('finishes a request that is in flight when it is closed', async () => {
    const a = await pair('drain');
    const registry = createRegistry(false);
    const server = await start(a, registry, () => undefined);
    const body = JSON.stringify(review());
    const half = Math.floor(body.length / 2);
    const inFlight = async () =>
      (await registry.getSingleMetric('controller_runtime_webhook_requests_in_flight')?.get())?.values[0]
        ?.value;
    // Send headers and half the body; once the server counts the request in flight, close it and
    // send the rest: the request must still be answered.
    let data = '';
    const socket = connect({ host: '127.0.0.1', port: server.port, ca: a.ca });
    const ended = new Promise<void>((resolve, reject) => {
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', resolve);
      socket.on('error', reject);
    });
    socket.write(
      `POST /inject HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n` +
        body.slice(0, half),
    );
    while ((await inFlight()) !== 1) await new Promise((r) => setImmediate(r));
    const closed = server.close();
    socket.write(body.slice(half));
    await ended;
    await closed;
    const text = data;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toContain('"allowed":true');
  });

  it('closes a connection whose TLS handshake completes after close began, instead of waiting for it', async () => {
    // The apiserver keeps idle keep-alive connections open for up to 90 s; one established while the
    // server was closing used to hold close() until the 60 s header timeout, past the shutdown deadline.
    const a = await pair('late');
    const registry = createRegistry(false);
    const server = await start(a, registry, () => undefined);
    const raw: Socket = await new Promise((resolve, reject) => {
      const s = connectTcp(server.port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    });
    const closed = server.close();
    const socket = connect({ socket: raw, ca: a.ca, servername: 'late' });
    const socketClosed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    await closed;
    await socketClosed;
    expect(socket.destroyed).toBe(true);
  });
});
