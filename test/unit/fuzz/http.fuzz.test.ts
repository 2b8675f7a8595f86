// The admission server over real loopback HTTPS (fastify's inject() does not work under jest on Node 20,
// docs/webhook.md), static configuration, the real engine. Properties:
// - a valid review of a generated pod is answered 200 with a well-formed AdmissionReview echoing the uid;
//   its patch applies (fast-json-patch) to the sent object and yields exactly the engine's own pod, a
//   denial carries the engine's message; nothing of the pod's content reaches the log;
// - a review broken anywhere (wrong types at every level, missing fields, prototype keys), random JSON,
//   non-JSON, deep nesting, huge strings, wrong content types, methods and paths is answered either 200
//   with a well-formed review (uid echoed when the body had one) or a 4xx; never a 5xx, never a hang,
//   and the server keeps answering.
import { Agent, request } from 'node:https';
import { PassThrough } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { applyPatch, type Operation } from 'fast-json-patch';
import { selfSignedServing } from '../../../lib/certs';
import { createLogger } from '../../../lib/log';
import { createRegistry } from '../../../lib/metrics';
import { staticConfigSource } from '../../../webhook/config/static';
import { injectPod } from '../../../inject';
import { createWebhookMetrics } from '../../../webhook/server/metrics';
import { type RunningWebhook, startWebhookServer } from '../../../webhook/server/run';
import { config } from '../inject/fixtures';
import {
  admissionReview,
  brokenReview,
  deepJson,
  type Json,
  jsonValue,
  nastyString,
  pod,
} from './arbitraries';
import { params, runs, timeoutFor } from './settings';

const cfg = config();
const NO_ANSWER_MS = 20_000; // a hang guard, far above any real answer

interface Answer {
  status: number;
  body: string;
}

let server: RunningWebhook;
let agent: Agent;
const logLines: string[] = [];

beforeAll(async () => {
  const { ca, serving } = await selfSignedServing({
    commonName: 'fuzz',
    ipAddresses: ['127.0.0.1'],
    validityDays: 1,
  });
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => logLines.push(d.toString()));
  const registry = createRegistry(false);
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    healthPort: 0,
    defaultRevision: 'default',
    keyPair: { cert: serving.certPem, key: serving.keyPem },
    injector: injectPod,
    source: staticConfigSource(cfg),
    registry,
    metrics: createWebhookMetrics(registry),
    log: createLogger({ stream, level: 'debug' }),
    notReadyReason: () => undefined,
  });
  agent = new Agent({ keepAlive: true, ca: ca.certPem, maxSockets: 4 });
});

afterAll(async () => {
  agent?.destroy();
  await server?.close();
});

function send(
  body: string | Buffer,
  opts: { path?: string; method?: string; contentType?: string | null } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer | undefined;
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) };
    if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/json';
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: opts.path ?? '/inject',
        method: opts.method ?? 'POST',
        agent,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          answer = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
          resolve(answer);
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(NO_ANSWER_MS, () => req.destroy(new Error(`no answer within ${NO_ANSWER_MS} ms`)));
    // The server may answer (413) and close before reading a huge body: that answer counts.
    req.on('error', (err) => (answer ? resolve(answer) : reject(err)));
    req.end(body);
  });
}

interface Review {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    patchType?: string;
    patch?: string;
    status?: { code: number; message: string };
  };
}

/** A well-formed AdmissionReview response; returns it. */
function expectReview(a: Answer, uid: string | undefined): Review {
  expect(a.status).toBe(200);
  const r = JSON.parse(a.body) as Review;
  expect(r.apiVersion).toBe('admission.k8s.io/v1');
  expect(r.kind).toBe('AdmissionReview');
  expect(typeof r.response.allowed).toBe('boolean');
  expect(typeof r.response.uid).toBe('string');
  if (uid !== undefined) expect(r.response.uid).toBe(uid);
  if (!r.response.allowed) {
    expect(typeof r.response.status?.code).toBe('number');
    expect(typeof r.response.status?.message).toBe('string');
  }
  if (r.response.patch !== undefined) expect(r.response.patchType).toBe('JSONPatch');
  return r;
}

/** 200 with a well-formed review, or a 4xx with a JSON error: never a 5xx. */
function expectHandled(a: Answer, uid: string | undefined): void {
  if (a.status === 200) {
    expectReview(a, uid);
    return;
  }
  expect(a.status).toBeGreaterThanOrEqual(400);
  expect(a.status).toBeLessThan(500);
}

/** The uid the server must echo: the request's uid when the body is an object whose request has a string one. */
function uidOf(body: Json): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const req = body.request;
  if (req === null || typeof req !== 'object' || Array.isArray(req)) return '';
  return typeof req.uid === 'string' ? req.uid : '';
}

const uid = fc.oneof(
  fc.uuid(),
  nastyString.filter((s) => s !== ''),
);

describe('admission server fuzz (loopback HTTPS)', () => {
  // HTTP cases cost a round trip each: the long run uses a quarter of FUZZ_RUNS per property.
  const n = runs(120, 0.25);

  it(
    'valid reviews of generated pods: well-formed answer, uid echoed, patch reproduces the engine, no pod content logged',
    async () => {
      const marker = 'fuzz-secret-value-7c1f';
      await fc.assert(
        fc.asyncProperty(pod, uid, async ({ pod: p }, id) => {
          // A value that must never reach the log (pods carry secrets in env values and annotations).
          const sent: V1Pod = JSON.parse(JSON.stringify(p)) as V1Pod;
          const first = sent.spec?.containers[0];
          if (first) first.env = [...(first.env ?? []), { name: 'SECRET', value: marker }];
          const review = admissionReview(id, sent as unknown as Json);
          const r = expectReview(await send(JSON.stringify(review)), id);
          const want = injectPod(
            { pod: JSON.parse(JSON.stringify(sent)) as V1Pod, namespace: 'fuzz', admission: true },
            cfg,
          );
          if (want.kind === 'injected') {
            expect(r.response.allowed).toBe(true);
            const ops = JSON.parse(
              Buffer.from(r.response.patch ?? '', 'base64').toString('utf8'),
            ) as Operation[];
            const patched = applyPatch(
              JSON.parse(JSON.stringify(sent)) as V1Pod,
              ops,
              true,
              false,
            ).newDocument;
            expect(patched).toEqual(JSON.parse(JSON.stringify(want.pod)));
          } else if (want.kind === 'skipped') {
            expect(r.response).toEqual({ uid: id, allowed: true });
          } else {
            expect(r.response.allowed).toBe(false);
            expect(r.response.status).toEqual({ code: 400, message: want.message, reason: 'BadRequest' });
          }
        }),
        params(n),
      );
      expect(logLines.join('')).not.toContain(marker);
    },
    timeoutFor(n, 60),
  );

  it(
    'broken reviews (wrong types, missing and extra fields at every level): 200 with a well-formed review or 4xx',
    async () => {
      const base = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'app', image: 'a' }] },
      };
      await fc.assert(
        fc.asyncProperty(
          uid.chain((id) => brokenReview(id, base)),
          async (body) => {
            expectHandled(await send(JSON.stringify(body)), uidOf(body));
          },
        ),
        params(n * 2),
      );
    },
    timeoutFor(n * 2, 30),
  );

  it(
    'arbitrary JSON bodies, non-JSON text, content types, methods and paths: never a 5xx',
    async () => {
      const contentType = fc.constantFrom<string | null>(
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/JSON',
        'application/json-patch+json',
        'application/yaml',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        '',
        null,
      );
      const path = fc.oneof(
        fc.constantFrom(
          '/inject',
          '/inject/',
          '/inject?timeout=10s',
          '/inject/rev/default',
          '/inject/rev/nope',
          '/inject/cluster/c1/net/n1',
          '/inject/cluster/%ZZ',
          '/inject/constructor/x',
          '/inject/__proto__/x',
          '/inject/rev/default/rev/default',
          '/inject/cluster',
          '//inject',
          '/inject/../metrics',
          '/metrics',
          '/',
        ),
        nastyString.map((s) => `/inject/cluster/${encodeURIComponent(s)}`),
      );
      const body = fc.oneof(
        jsonValue.map((v) => JSON.stringify(v)),
        fc.tuple(uid, jsonValue).map(([id, v]) => JSON.stringify(admissionReview(id, v))),
        nastyString,
        fc.constantFrom(
          '',
          '{',
          '{"apiVersion":',
          'null',
          '[]',
          '"x"',
          '{"__proto__":{"x":1}}',
          '{"constructor":{"prototype":{}}}',
          '\ufeff{}',
          '{}garbage',
        ),
      );
      await fc.assert(
        fc.asyncProperty(
          body,
          contentType,
          path,
          fc.constantFrom('POST', 'POST', 'PUT', 'GET', 'PATCH'),
          async (b, ct, p, m) => {
            const a = await send(m === 'GET' ? '' : b, { contentType: ct, path: p, method: m });
            expect(a.status).toBeLessThan(500);
            expect(a.status).toBeGreaterThanOrEqual(200);
            if (a.status === 200) {
              let parsed: Json = null;
              try {
                parsed = JSON.parse(b) as Json;
              } catch {
                // not JSON: a 200 must then still be a review (never happens: 400)
              }
              expectReview(a, uidOf(parsed));
            }
          },
        ),
        params(n * 2),
      );
    },
    timeoutFor(n * 2, 30),
  );

  it(
    'malformed JSON never echoes the body into the log or the answer (V8 parse messages quote it; fastify 5 replaces them)',
    async () => {
      const secret = fc.stringMatching(/^[a-z]{6,12}$/).map((s) => `tok-${s}`);
      const before = fc.constantFrom(
        '{"password": ',
        '{"a":1,"b":',
        '[',
        '',
        '{"request":{"uid":"u","object":{"x":',
        '{"k":"v" ',
      );
      const after = fc.constantFrom('}', ' x}', '', ',,', '"', ']');
      await fc.assert(
        fc.asyncProperty(before, secret, after, async (b, s, a) => {
          const start = logLines.length;
          const body = `${b}${s}${a}`;
          const answer = await send(body);
          expect(answer.status).toBe(400);
          // V8 quotes about 10 characters on each side of the error: look for the start of the secret.
          const fragment = s.slice(4, 10);
          expect(answer.body).not.toContain(fragment);
          expect(logLines.slice(start).join('')).not.toContain(fragment);
        }),
        params(n),
      );
    },
    timeoutFor(n, 30),
  );

  it(
    'paths: /inject plus cluster/net/rev pairs is served, any other key (constructor, __proto__ included) is 404',
    async () => {
      const key = fc.oneof(
        fc.constantFrom(
          'cluster',
          'net',
          'rev',
          'constructor',
          '__proto__',
          'toString',
          'valueOf',
          'hasOwnProperty',
        ),
        fc
          .string({ minLength: 1, maxLength: 8 })
          .filter((k) => !k.includes('/') && !k.includes('?') && !k.includes('#')),
      );
      const body = JSON.stringify(admissionReview('path', { spec: { containers: [{ name: 'a' }] } }));
      await fc.assert(
        fc.asyncProperty(key, fc.constantFrom('default', 'c1'), async (k, v) => {
          const a = await send(body, { path: `/inject/${encodeURIComponent(k)}/${v}` });
          if (k === 'cluster' || k === 'net' || (k === 'rev' && v === 'default')) {
            expect(expectReview(a, 'path').response.allowed).toBe(true);
          } else if (k === 'rev') {
            expect(expectReview(a, 'path').response.status?.code).toBe(503);
          } else {
            expect(a.status).toBe(404);
          }
        }),
        params(n),
      );
    },
    timeoutFor(n, 30),
  );

  it('deep nesting and huge bodies: answered (review or 4xx), the server keeps serving', async () => {
    const huge = 'x'.repeat(8 * 1024 * 1024 + 1);
    const cases: { name: string; body: string; uid?: string }[] = [
      { name: 'array 100k deep', body: deepJson(100_000, 'array') },
      { name: 'object 100k deep', body: deepJson(100_000, 'object') },
      {
        name: 'review with a 10k-deep env value',
        uid: 'deep-env',
        body: JSON.stringify(admissionReview('deep-env', null)).replace(
          '"object":null',
          `"object":{"spec":{"containers":[{"name":"a","env":[{"name":"E","value":${deepJson(10_000, 'object')}}]}]}}`,
        ),
      },
      {
        name: 'review with a 10k-deep annotation map',
        uid: 'deep-ann',
        body: JSON.stringify(admissionReview('deep-ann', null)).replace(
          '"object":null',
          `"object":{"metadata":{"annotations":${deepJson(10_000, 'object')}},"spec":{"containers":[{"name":"a"}]}}`,
        ),
      },
      {
        name: 'review with a 4 MiB annotation',
        uid: 'big',
        body: JSON.stringify(
          admissionReview('big', {
            metadata: { annotations: { a: 'y'.repeat(4 << 20) } },
            spec: { containers: [{ name: 'a' }] },
          }),
        ),
      },
      {
        name: 'review with 20k containers',
        uid: 'many',
        body: JSON.stringify(
          admissionReview('many', {
            spec: {
              containers: Array.from({ length: 20_000 }, (_, i) => ({
                name: `c${i}`,
                ports: [{ name: `p${i}`, containerPort: 1 + (i % 60000) }],
              })),
            },
          }),
        ),
      },
      { name: 'body over the 8 MiB limit', body: JSON.stringify({ x: huge }) },
      { name: 'a 8 MiB+ string of garbage', body: huge },
    ];
    for (const c of cases) {
      const a = await send(c.body);
      if (process.env.FUZZ_DEBUG) process.stderr.write(`${c.name}: ${a.status} ${a.body.slice(0, 200)}\n`);
      try {
        expectHandled(a, c.uid);
      } catch (err) {
        throw new Error(`${c.name}: HTTP ${a.status} ${a.body.slice(0, 300)}\n${String(err)}`);
      }
    }
    expect((await send('{}', { contentType: 'text/plain' })).status).toBe(415);
    expect((await send(JSON.stringify({ x: huge }))).status).toBe(413);
    const ok = expectReview(
      await send(JSON.stringify(admissionReview('after', { spec: { containers: [{ name: 'a' }] } }))),
      'after',
    );
    expect(ok.response.allowed).toBe(true);
    expect(ok.response.patch).toBeDefined();
  }, 120_000);
});
