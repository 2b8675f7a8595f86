// The lean transport and ListWatch against a loopback HTTP server that plays the apiserver: Status
// errors, timeouts, and a watch whose resourceVersion expired (410 Gone) relisting without an error.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApiError } from '../../../lib/kube/api-error';
import { KubeHttp } from '../../../lib/kube/http';
import { ListWatch, type KubeObject } from '../../../lib/kube/informer';

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
let server: Server;
let route: Route;
let http: KubeHttp;

beforeAll(async () => {
  server = createServer((req, res) => route(req, res, new URL(req.url ?? '/', 'http://x')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  http = new KubeHttp(
    { server: `http://127.0.0.1:${port}`, namespace: 'default', source: 'test', tls: {} },
    2_000,
  );
});
afterAll(async () => {
  http.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const obj = (name: string, rv: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', resourceVersion: rv },
});

describe('KubeHttp', () => {
  it('sends JSON with the content type asked for and the query, and parses the answer', async () => {
    let seen: { method?: string; type?: string; url?: string; body?: string } = {};
    route = (req, res, url) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = {
          method: req.method,
          type: req.headers['content-type'],
          url: url.pathname + url.search,
          body,
        };
        res.end(JSON.stringify({ ok: true }));
      });
    };
    const out = await http.request({
      method: 'PATCH',
      path: '/api/v1/x',
      query: { fieldManager: 'm', force: true, skip: undefined },
      contentType: 'application/apply-patch+yaml',
      body: { a: 1 },
    });
    expect(out).toEqual({ ok: true });
    expect(seen).toEqual({
      method: 'PATCH',
      type: 'application/apply-patch+yaml',
      url: '/api/v1/x?fieldManager=m&force=true',
      body: '{"a":1}',
    });
  });

  it('throws KubeApiError with code, reason and the Status message', async () => {
    route = (_req, res) => {
      res.statusCode = 409;
      res.end(
        JSON.stringify({
          kind: 'Status',
          reason: 'Conflict',
          message: 'the object has been modified',
          code: 409,
        }),
      );
    };
    const err = await http.request({ method: 'PUT', path: '/p', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(409);
    expect((err as KubeApiError).reason).toBe('Conflict');
    expect((err as KubeApiError).message).toBe('PUT /p: HTTP 409: the object has been modified');
  });

  it('times out a request that gets no answer, and honours an abort signal', async () => {
    route = () => undefined; // never answers
    await expect(http.request({ method: 'GET', path: '/slow', timeoutMs: 200 })).rejects.toThrow(
      'GET /slow: no answer within 200 ms',
    );
    const ac = new AbortController();
    const p = http.request({ method: 'GET', path: '/slow', signal: ac.signal });
    ac.abort(new Error('lease lost'));
    await expect(p).rejects.toThrow('GET /slow: cancelled (lease lost)');
    server.closeAllConnections();
  });
});

describe('KubeHttp with many open watches', () => {
  it('still answers requests while 20 watch streams hold their sockets', async () => {
    route = (_req, res, url) => {
      if (url.searchParams.get('watch'))
        res.write(''); // a watch: stays open
      else res.end('{"ok":1}');
    };
    const ac = new AbortController();
    const watches = Array.from({ length: 20 }, () =>
      http
        .stream({ path: '/w', query: { watch: true }, signal: ac.signal }, () => undefined)
        .catch(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(await http.request({ method: 'GET', path: '/plain', timeoutMs: 1_000 })).toEqual({ ok: 1 });
    ac.abort();
    await Promise.all(watches);
    server.closeAllConnections();
  });
});

describe('ListWatch', () => {
  it('lists, watches with bookmarks from the list resourceVersion, and relists on 410 Gone', async () => {
    const watchQueries: string[] = [];
    let listRound = 0;
    const list = jest.fn(async () => {
      listRound++;
      return listRound === 1
        ? { items: [obj('a', '1'), obj('b', '2')], resourceVersion: '2' }
        : { items: [obj('b', '5'), obj('c', '6')], resourceVersion: '6' };
    });
    route = (_req, res, url) => {
      watchQueries.push(url.search);
      res.setHeader('Content-Type', 'application/json');
      if (watchQueries.length === 1) {
        // The watch from RV 2 was compacted away.
        res.end(
          JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }) + '\n',
        );
        return;
      }
      res.write(JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } }) + '\n');
      res.write(JSON.stringify({ type: 'MODIFIED', object: obj('c', '8') }) + '\n');
      res.write(JSON.stringify({ type: 'DELETED', object: obj('b', '9') }) + '\n');
      // keep the stream open, as a real watch does
    };
    const w = new ListWatch(http, { path: '/api/v1/configmaps', labelSelector: 'x=y', list });
    const events: string[] = [];
    const errors: unknown[] = [];
    w.on('add', (o) => events.push(`add ${o.metadata?.name}`));
    w.on('update', (o) => events.push(`update ${o.metadata?.name}`));
    w.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
    w.on('error', (e) => errors.push(e));
    await w.start();
    for (let i = 0; i < 100 && events.length < 7; i++) await new Promise((r) => setTimeout(r, 20));
    await w.stop();
    expect(errors).toEqual([]);
    expect(w.relists).toBe(1);
    expect(events).toEqual([
      'add a',
      'add b',
      'update b', // relist: b changed, c is new, a is gone
      'add c',
      'delete a',
      'update c',
      'delete b',
    ]);
    expect(w.list().map((o) => o.metadata?.name)).toEqual(['c']);
    expect(w.get('c', 'ns')?.metadata?.resourceVersion).toBe('8');
    const first = new URLSearchParams(watchQueries[0]);
    expect(first.get('watch')).toBe('true');
    expect(first.get('allowWatchBookmarks')).toBe('true');
    expect(first.get('resourceVersion')).toBe('2');
    expect(first.get('labelSelector')).toBe('x=y');
    expect(new URLSearchParams(watchQueries[1]).get('resourceVersion')).toBe('6');
    server.closeAllConnections();
  });

  it('does not re-open, in a hot loop, a watch the server ends at once', async () => {
    let watches = 0;
    route = (_req, res) => {
      watches++;
      res.end();
    };
    const w = new ListWatch(http, {
      path: '/api/v1/pods',
      list: async () => ({ items: [], resourceVersion: '1' }),
    });
    await w.start();
    await new Promise((r) => setTimeout(r, 1_500));
    await w.stop();
    expect(watches).toBeGreaterThanOrEqual(1);
    expect(watches).toBeLessThanOrEqual(3);
  });

  it('reports a refused watch to the error handlers and stops', async () => {
    route = (_req, res) => {
      res.statusCode = 403;
      res.end(
        JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'watch is forbidden', code: 403 }),
      );
    };
    const w = new ListWatch(http, {
      path: '/api/v1/pods',
      list: async () => ({ items: [], resourceVersion: '1' }),
    });
    const errors: unknown[] = [];
    const failed = new Promise<void>((resolve) =>
      w.on('error', (e) => {
        errors.push(e);
        resolve();
      }),
    );
    await w.start();
    await failed;
    expect(errors).toHaveLength(1);
    expect((errors[0] as KubeApiError).code).toBe(403);
    expect((errors[0] as Error).message).toContain('watch is forbidden');
  });

  it('reports a failed list to the error handlers', async () => {
    const w = new ListWatch(http, {
      path: '/api/v1/pods',
      list: async () => {
        throw new KubeApiError('GET', '/api/v1/pods', 500, { message: 'etcd down' });
      },
    });
    const errors: unknown[] = [];
    w.on('error', (e) => errors.push(e));
    await w.start();
    expect((errors[0] as Error).message).toBe('GET /api/v1/pods: HTTP 500: etcd down');
  });
});
