import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../../../lib/certs';
import { displayUrl, downloadToFile, fetchText, HttpError } from '../../../release/http';
import { serveBytes, sha256, startServer, type TestServer } from './fixtures';

const opts = { timeoutMs: 5000, maxBytes: 1 << 20 };

describe('release HTTP adapter', () => {
  let server: TestServer;
  let dir: string;
  beforeEach(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'mw-http-'));
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads through redirects, hashing the body', async () => {
    const body = Buffer.alloc(200_000, 3);
    server.routes.set('/final', serveBytes(body));
    server.routes.set('/hop', (_q, r) => r.writeHead(302, { location: '/final?token=secret' }).end());
    server.routes.set('/start', (_q, r) => r.writeHead(301, { location: `${server.url}/hop` }).end());
    const got = await downloadToFile(`${server.url}/start`, join(dir, 'f'), opts);
    expect(got).toEqual({ bytes: body.length, sha256: sha256(body) });
    expect(readFileSync(join(dir, 'f')).equals(body)).toBe(true);
    expect(server.hits.get('/final')).toBe(1);
  });

  it('names the HTTP status, and stops after too many redirects', async () => {
    const err = await fetchText(`${server.url}/missing`, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(404);
    expect((err as Error).message).toBe(`GET ${server.url}/missing: HTTP 404 Not Found`);
    server.routes.set('/bad', (_q, r) => r.writeHead(302, { location: 'http://[::1' }).end());
    await expect(fetchText(`${server.url}/bad`, opts)).rejects.toThrow(
      `GET ${server.url}/bad: 302 to a malformed Location`,
    );
    server.routes.set('/loop', (_q, r) => r.writeHead(302, { location: '/loop' }).end());
    await expect(fetchText(`${server.url}/loop`, { ...opts, maxRedirects: 3 })).rejects.toThrow(
      /more than 3 redirects/,
    );
  });

  it('reports a connection refused and an unsupported scheme', async () => {
    const closed = await startServer();
    const url = closed.url;
    await closed.close();
    await expect(fetchText(`${url}/x`, opts)).rejects.toThrow(/: connection refused$/);
    await expect(fetchText('ftp://127.0.0.1/x', opts)).rejects.toThrow(/unsupported URL scheme ftp:/);
  });

  it('reports a body cut off mid-way and leaves the caller to discard the partial file', async () => {
    server.routes.set('/cut', (_q, res) => {
      res.writeHead(200, { 'content-length': 100_000 });
      res.write(Buffer.alloc(10_000, 1), () => res.socket?.destroy());
    });
    const err = await downloadToFile(`${server.url}/cut`, join(dir, 'cut'), opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as Error).message).toMatch(/body truncated after \d+ (of 100000 )?bytes/);
  });

  it('enforces the size cap, from Content-Length and while streaming', async () => {
    server.routes.set('/big', serveBytes(Buffer.alloc(2000)));
    await expect(fetchText(`${server.url}/big`, { ...opts, maxBytes: 1000 })).rejects.toThrow(
      /body of 2000 bytes exceeds 1000/,
    );
    server.routes.set('/chunked', (_q, res) => {
      res.writeHead(200);
      res.write(Buffer.alloc(800));
      res.end(Buffer.alloc(800));
    });
    await expect(fetchText(`${server.url}/chunked`, { ...opts, maxBytes: 1000 })).rejects.toThrow(
      /body exceeds 1000 bytes/,
    );
  });

  it('times out a slow server and honours an AbortSignal', async () => {
    server.routes.set('/slow', (_q, res) => {
      res.writeHead(200, { 'content-length': 10 });
      res.write('x'); // then nothing
    });
    const started = Date.now();
    await expect(
      downloadToFile(`${server.url}/slow`, join(dir, 's1'), { ...opts, timeoutMs: 300 }),
    ).rejects.toThrow(`GET ${server.url}/slow: timed out after 300 ms`);
    expect(Date.now() - started).toBeLessThan(3000);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      downloadToFile(`${server.url}/slow`, join(dir, 's2'), { ...opts, signal: controller.signal }),
    ).rejects.toThrow(`GET ${server.url}/slow: aborted`);
    const aborted = AbortSignal.abort();
    await expect(fetchText(`${server.url}/slow`, { ...opts, signal: aborted })).rejects.toThrow(/aborted/);
  });

  it('keeps query strings (signed redirect tokens) out of messages', () => {
    expect(displayUrl('https://h.example/a/b?X-Amz-Signature=abc')).toBe('https://h.example/a/b');
  });
});

describe('release HTTP adapter over TLS', () => {
  it('trusts an extra CA and refuses a redirect from https down to http', async () => {
    const ca = await createCertificateAuthority({ commonName: 'mirror-ca' });
    const leaf = await issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'] });
    const plain = await startServer();
    plain.routes.set('/x', serveBytes(Buffer.from('plain')));
    const server = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
      if (req.url === '/ok') res.writeHead(200, { 'content-length': 2 }).end('ok');
      else res.writeHead(302, { location: `${plain.url}/x` }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expect(fetchText(`${url}/ok`, opts)).rejects.toThrow(
        /self[- ]signed|unable to verify|local issuer/,
      );
      await expect(fetchText(`${url}/ok`, { ...opts, ca: ca.certPem })).resolves.toBe('ok');
      await expect(fetchText(`${url}/down`, { ...opts, ca: ca.certPem })).rejects.toThrow(
        `GET ${url}/down: refused redirect from https to http:`,
      );
      expect(plain.hits.size).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await plain.close();
    }
  });
});
