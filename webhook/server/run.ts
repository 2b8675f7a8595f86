// Starts the listeners: HTTPS admission port plus plain-HTTP metrics and health ports. The serving
// certificate can be swapped at any time (file reload, self-signed rotation) without a restart.
import type { Server as HttpsServer } from 'https';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log';
import { type KeyPair, secureServerOptions } from '../tls/options';
import { buildAdmissionApp } from './app';
import type { WebhookMetrics } from './metrics';
import { buildProbeApp } from './probes';
import type { ReviewDeps } from './review';

export interface WebhookServerOptions extends ReviewDeps {
  host: string;
  port: number;
  metricsPort: number;
  healthPort: number;
  defaultRevision: string;
  keyPair: KeyPair;
  registry: Registry;
  metrics: WebhookMetrics;
  log: Logger;
  /** Why the webhook is not ready (config not synced ...), or undefined when it is. */
  notReadyReason(): string | undefined;
  bodyLimit?: number;
  requestTimeoutMs?: number;
}

export interface RunningWebhook {
  port: number;
  metricsPort: number;
  healthPort: number;
  setKeyPair(pair: KeyPair): void;
  /** Reports not ready from now on (so endpoints drop this pod) while still serving. */
  markShuttingDown(): void;
  /** Stops accepting, drains in-flight admission requests, then closes the side ports. */
  close(): Promise<void>;
}

function boundPort(app: FastifyInstance): number {
  const a = app.server.address();
  if (a === null || typeof a === 'string') throw new Error('server is not listening on a TCP port');
  return a.port;
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<RunningWebhook> {
  let closing = false;
  const admission = buildAdmissionApp({ ...opts, https: secureServerOptions(opts.keyPair) });
  const health = {
    notReadyReason: () => (closing ? 'shutting down' : opts.notReadyReason()),
  };
  const side: FastifyInstance[] = [];
  if (opts.metricsPort === opts.healthPort) {
    side.push(buildProbeApp({ registry: opts.registry, health }));
  } else {
    side.push(buildProbeApp({ registry: opts.registry }), buildProbeApp({ health }));
  }
  await admission.listen({ host: opts.host, port: opts.port });
  await side[0].listen({ host: opts.host, port: opts.metricsPort });
  if (side[1]) await side[1].listen({ host: opts.host, port: opts.healthPort });
  const metricsPort = boundPort(side[0]);
  const running: RunningWebhook = {
    port: boundPort(admission),
    metricsPort,
    healthPort: side[1] ? boundPort(side[1]) : metricsPort,
    setKeyPair(pair) {
      (admission.server as unknown as HttpsServer).setSecureContext(secureServerOptions(pair));
    },
    markShuttingDown() {
      closing = true;
    },
    async close() {
      closing = true;
      // fastify's close waits for in-flight requests and answers new ones 503 meanwhile.
      await admission.close();
      await Promise.all(side.map((s) => s.close()));
    },
  };
  opts.log.info('webhook listening', {
    port: running.port,
    metricsPort: running.metricsPort,
    healthPort: running.healthPort,
  });
  return running;
}
