import { PassThrough } from 'stream';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../../lib/log';
import { createRegistry } from '../../../lib/metrics';
import { buildAdmissionApp } from '../../../webhook/server/app';
import { createWebhookMetrics } from '../../../webhook/server/metrics';
import { fakeInjector, injectsProxy, review, staticSource } from './fixtures';
import type { Injector } from '../../../inject/api';

function setup(injector: Injector = fakeInjector(injectsProxy), bodyLimit?: number) {
  const registry = createRegistry(false);
  const logs: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => logs.push(d.toString()));
  const log = createLogger({ stream, level: 'debug' });
  const metrics = createWebhookMetrics(registry);
  const app = buildAdmissionApp({
    injector,
    source: staticSource(),
    defaultRevision: 'default',
    metrics,
    log,
    bodyLimit,
  });
  return { app, registry, logs };
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

// A loopback listener rather than inject(): light-my-request pulls in the ESM-only `cookie` package,
// which jest on Node 20 cannot load untransformed.
async function send(app: FastifyInstance, url: string, body: string | undefined, contentType: string) {
  if (!apps.includes(app)) {
    apps.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const res = await fetch(`http://127.0.0.1:${address.port}${url}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  const text = await res.text();
  return { statusCode: res.status, body: text, json: () => JSON.parse(text) };
}

function post(app: FastifyInstance, url: string, payload: string | object, contentType = 'application/json') {
  return send(app, url, typeof payload === 'string' ? payload : JSON.stringify(payload), contentType);
}

describe('admission app', () => {
  it('answers POST /inject with an AdmissionReview v1 carrying the patch', async () => {
    const { app } = setup();
    const res = await post(app, '/inject', review());
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'uid-1', allowed: true, patchType: 'JSONPatch' },
    });
  });

  it('serves the upstream cluster/net path and the revision path', async () => {
    const injector = fakeInjector(injectsProxy);
    const { app } = setup(injector);
    expect((await post(app, '/inject/cluster/east/net/n1', review())).statusCode).toBe(200);
    expect(injector.calls[0].cfg.values.global).toMatchObject({
      network: 'n1',
      multiCluster: { clusterName: 'east' },
    });
    const res = await post(app, '/inject/rev/canary', review());
    expect(res.json().response).toMatchObject({ allowed: false, status: { code: 503 } });
  });

  it('accepts a trailing slash and query parameters on /inject', async () => {
    const { app } = setup();
    expect((await post(app, '/inject/', review())).json().response).toMatchObject({
      allowed: true,
      patchType: 'JSONPatch',
    });
    expect((await post(app, '/inject?timeout=10s', review())).json().response).toMatchObject({
      allowed: true,
    });
  });

  it('answers 415 for a content type other than JSON', async () => {
    const { app } = setup();
    const res = await post(app, '/inject', JSON.stringify(review()), 'text/plain');
    expect(res.statusCode).toBe(415);
  });

  it('answers 400 for malformed JSON without echoing it', async () => {
    const { app, logs } = setup();
    const res = await post(app, '/inject', '{"apiVersion": "secret-token-123"');
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('secret-token-123');
    expect(logs.join('')).not.toContain('secret-token-123');
  });

  it('answers 400 for prototype-poisoning bodies', async () => {
    const { app } = setup();
    const res = await post(app, '/inject', '{"__proto__": {"x": 1}}');
    expect(res.statusCode).toBe(400);
  });

  it('answers 400 for an empty body', async () => {
    const { app } = setup();
    const res = await send(app, '/inject', undefined, 'application/json');
    expect(res.statusCode).toBe(400);
  });

  it('answers 413 above the body limit', async () => {
    const { app } = setup(undefined, 1024);
    const big = review({
      object: { spec: { containers: [] }, metadata: { annotations: { a: 'x'.repeat(2048) } } },
    });
    expect((await post(app, '/inject', big)).statusCode).toBe(413);
  });

  it('denies a review it cannot decode inside a well-formed review', async () => {
    const { app } = setup();
    const res = await post(app, '/inject', { ...review(), apiVersion: 'admission.k8s.io/v1beta1' });
    expect(res.statusCode).toBe(200);
    expect(res.json().response).toMatchObject({ uid: 'uid-1', allowed: false, status: { code: 400 } });
  });

  it('answers 404 for unknown paths and path parameters', async () => {
    const { app } = setup();
    expect((await post(app, '/mutate', review())).statusCode).toBe(404);
    expect((await post(app, '/inject/foo/bar', review())).statusCode).toBe(404);
  });

  it('counts decisions and HTTP codes and logs the request without its body', async () => {
    const { app, registry, logs } = setup(
      fakeInjector((req) => ({ kind: 'skipped', reason: 'opted out', pod: req.pod })),
    );
    const body = review();
    (body.request as Record<string, unknown>).object = {
      metadata: { name: 'web', annotations: { secret: 'hunter2' } },
      spec: { containers: [] },
    };
    await post(app, '/inject', body);
    await post(app, '/inject', review({ operation: 'DELETE' }));
    await new Promise((r) => setImmediate(r)); // let the server-side 'close' handlers run
    const text = await registry.metrics();
    expect(text).toMatch(/meshwright_webhook_requests_total\{result="skipped"\} 1/);
    expect(text).toMatch(/meshwright_webhook_requests_total\{result="allowed"\} 1/);
    expect(text).toMatch(/meshwright_webhook_requests_total\{result="injected"\} 0/);
    expect(text).toMatch(/controller_runtime_webhook_requests_total\{webhook="\/inject",code="200"\} 2/);
    expect(text).toMatch(/controller_runtime_webhook_requests_in_flight\{webhook="\/inject"\} 0/);
    expect(text).toMatch(/sidecar_injection_requests_total 2/);
    expect(text).toMatch(/sidecar_injection_skip_total 2/);
    expect(text).toMatch(/sidecar_injection_success_total 0/);
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.decision === 'skipped');
    expect(line).toMatchObject({
      uid: 'uid-1',
      namespace: 'shop',
      name: 'web',
      decision: 'skipped',
      reason: 'opted out',
    });
    expect(typeof line.durationMs).toBe('number');
    expect(logs.join('')).not.toContain('hunter2');
  });
});
