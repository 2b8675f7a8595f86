// Plain-HTTP side ports: Prometheus metrics on one, liveness/readiness on another. Kept off the
// admission port so scraping and probing need no TLS and cannot queue behind admission requests.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface ProbeAppOptions {
  /** Serves /metrics when given. */
  registry?: Registry;
  /**
   * Serves /healthz and /readyz when given; `notReadyReason` returns why it is not ready, or undefined;
   * `details` adds lines to the /readyz body that do not make it unready (e.g. a broken template).
   */
  health?: { notReadyReason(): string | undefined; details?(): string[] };
}

export function buildProbeApp(opts: ProbeAppOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  const { registry, health } = opts;
  if (registry) {
    app.get('/metrics', async (_req, reply) => {
      const text = await registry.metrics();
      return reply.header('content-type', registry.contentType).send(text);
    });
  }
  if (health) {
    app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));
    app.get('/readyz', async (_req, reply) => {
      const reason = health.notReadyReason();
      const details = (health.details?.() ?? []).map((d) => `\n${d}`).join('');
      if (reason) return reply.code(503).type('text/plain').send(`not ready: ${reason}${details}`);
      return reply.type('text/plain').send(`ok${details}`);
    });
  }
  return app;
}
