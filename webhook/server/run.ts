// Starts the listeners: HTTPS admission port plus plain-HTTP metrics and health ports. The serving
// certificate can be swapped at any time (file reload, self-signed rotation) without a restart.
import type { IncomingMessage, ServerResponse } from 'http';
import { Server as HttpsServer } from 'https';
import type { Socket } from 'net';
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
  /** Extra /readyz lines that do not make the webhook unready (templates that cannot be executed). */
  readyDetails?(): string[];
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

/** How often a closing server drops connections that went idle (or finished their handshake) meanwhile. */
const IDLE_SWEEP_MS = 100;

/** The TLS connections of a server, and which of them are serving a request right now. */
function trackConnections(server: HttpsServer): { dropIdle(): void } {
  const open = new Set<Socket>();
  const busy = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      busy.delete(socket);
    });
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    busy.add(req.socket);
    res.once('close', () => busy.delete(req.socket));
  });
  return {
    dropIdle() {
      for (const socket of open) if (!busy.has(socket)) socket.destroy();
    },
  };
}

/** The admission app's raw server, checked to be the HTTPS one (fastify types every app as HTTP). */
function httpsServerOf(app: FastifyInstance): HttpsServer {
  const server: unknown = app.server;
  if (!(server instanceof HttpsServer)) throw new Error('the admission server is not an HTTPS server');
  return server;
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<RunningWebhook> {
  let closing = false;
  const admission = buildAdmissionApp({ ...opts, https: secureServerOptions(opts.keyPair) });
  const health = {
    notReadyReason: () => (closing ? 'shutting down' : opts.notReadyReason()),
    details: () => opts.readyDetails?.() ?? [],
  };
  const side: FastifyInstance[] = [];
  if (opts.metricsPort === opts.healthPort) {
    side.push(buildProbeApp({ registry: opts.registry, health }));
  } else {
    side.push(buildProbeApp({ registry: opts.registry }), buildProbeApp({ health }));
  }
  const tlsServer = httpsServerOf(admission);
  const connections = trackConnections(tlsServer);
  await admission.listen({ host: opts.host, port: opts.port });
  await side[0].listen({ host: opts.host, port: opts.metricsPort });
  if (side[1]) await side[1].listen({ host: opts.host, port: opts.healthPort });
  const metricsPort = boundPort(side[0]);
  const running: RunningWebhook = {
    port: boundPort(admission),
    metricsPort,
    healthPort: side[1] ? boundPort(side[1]) : metricsPort,
    setKeyPair(pair) {
      tlsServer.setSecureContext(secureServerOptions(pair));
    },
    markShuttingDown() {
      closing = true;
    },
    async close() {
      closing = true;
      // fastify's close waits for in-flight requests and answers new ones 503 meanwhile. Node closes idle
      // keep-alive connections once, at the start, and never counts a connection that has finished its
      // TLS handshake but sent no request as idle; the apiserver opens such connections ahead of requests,
      // and one would hold close() until the header timeout, past the shutdown deadline. So until close()
      // is done, drop every connection that is not serving a request; busy ones finish first.
      let done = false;
      const closed = admission.close().finally(() => (done = true));
      while (!done) {
        connections.dropIdle();
        await Promise.race([closed, new Promise((r) => setTimeout(r, IDLE_SWEEP_MS))]);
      }
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
