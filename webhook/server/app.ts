// The HTTP(S) shell around `reviewRequest`: routes, body handling, metrics and one log line per request.
// Built without listening so unit tests drive it with fastify's `inject()`.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../../lib/log';
import { decodeAdmissionReview, deny } from './admission';
import { countDecision, type WebhookMetrics } from './metrics';
import { parseInjectPath } from './paths';
import { type ReviewDeps, reviewRequest } from './review';
import type { SecureServerOptions } from '../tls/options';

export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;
/** Well under the apiserver's timeoutSeconds (10 s in config/webhook): a slow client cannot hold a worker. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

export interface AdmissionAppOptions extends ReviewDeps {
  /** Revision served at plain `/inject` (and `/inject/cluster/..`). */
  defaultRevision: string;
  metrics: WebhookMetrics;
  log: Logger;
  /** TLS settings; omitted in unit tests (plain HTTP via inject()). */
  https?: SecureServerOptions;
  bodyLimit?: number;
  requestTimeoutMs?: number;
}

function elapsedSeconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function buildAdmissionApp(opts: AdmissionAppOptions): FastifyInstance {
  const common = {
    logger: false, // our own per-request log line below; fastify's would not carry the decision
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    requestTimeout: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    onProtoPoisoning: 'error' as const,
    onConstructorPoisoning: 'error' as const,
    return503OnClosing: true,
  };
  // The HTTPS and HTTP instances differ only in the raw server type; routes and hooks are the same, so
  // both are typed as the default instance (run.ts checks for the HTTPS server where it needs one).
  const app = (opts.https
    ? Fastify({ ...common, https: opts.https })
    : Fastify(common)) as unknown as FastifyInstance;
  // Only JSON is an AdmissionReview; fastify answers 415 for any other content type.
  app.removeContentTypeParser('text/plain');

  const { metrics, log } = opts;
  app.addHook('onRequest', async (request, reply) => {
    const webhook = request.routeOptions.url ?? 'unmatched';
    const start = process.hrtime.bigint();
    metrics.inFlight.inc({ webhook });
    // 'close' fires for completed and aborted responses alike, so the gauge cannot drift.
    reply.raw.once('close', () => {
      metrics.inFlight.dec({ webhook });
      metrics.requests.inc({ webhook, code: String(reply.raw.statusCode) });
      metrics.latency.observe({ webhook }, elapsedSeconds(start));
    });
  });

  app.setErrorHandler((err: { statusCode?: number; message: string; code?: string }, request, reply) => {
    const status =
      err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    // err.message from fastify's parsers describes the failure, never echoes the body.
    log.warn('admission request failed', { path: request.url, status, code: err.code, error: err.message });
    if (status === 500) countDecision(metrics, 'error');
    void reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no such endpoint: ${request.method} ${request.url.split('?')[0]}` });
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const target = parseInjectPath(request.url, opts.defaultRevision);
    if ('error' in target) return reply.code(404).send({ error: target.error });
    if (request.body === undefined || request.body === null)
      return reply.code(400).send({ error: 'empty request body' });

    const start = process.hrtime.bigint();
    const decoded = decodeAdmissionReview(request.body);
    if (!decoded.ok) {
      countDecision(metrics, 'error');
      log.warn('invalid admission review', { uid: decoded.uid, decision: 'error', reason: decoded.message });
      // Like istiod: a review that cannot be decoded is denied with the reason, inside a well-formed review.
      return reply.send(deny(decoded.uid, 400, decoded.message, 'BadRequest'));
    }
    const result = reviewRequest(decoded.request, target, opts);
    const seconds = elapsedSeconds(start);
    countDecision(metrics, result.decision);
    metrics.injectionDuration.observe({ result: result.decision }, seconds);
    const fields = {
      uid: decoded.request.uid,
      namespace: result.namespace,
      name: result.name,
      revision: target.revision,
      operation: decoded.request.operation,
      kind: decoded.request.kind.kind,
      decision: result.decision,
      reason: result.reason,
      dryRun: decoded.request.dryRun || undefined,
      durationMs: Math.round(seconds * 1e6) / 1e3,
    };
    if (result.decision === 'error') log.error('admission', fields);
    else if (result.decision === 'allowed') log.debug('admission', fields);
    else log.info('admission', fields);
    return reply.send(result.response);
  };
  app.post('/inject', handle);
  app.post('/inject/*', handle);
  return app;
}
