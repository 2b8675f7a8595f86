// Plain-HTTP endpoints for Prometheus and the kubelet: /metrics, /healthz, /readyz. Metrics and probes
// may share one port or use two. /readyz may carry a reason in its body (`ok: ...`, `not ready: ...`)
// so a person curling it learns why, e.g. that the operator is waiting for leadership.
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  reason: string;
}

export interface ProbeHandlers {
  registry?: Registry;
  healthy?: () => boolean;
  ready?: () => boolean | Readiness;
}

function readyzBody(r: boolean | Readiness): { code: number; body: string } {
  const { ready, reason } = typeof r === 'boolean' ? { ready: r, reason: '' } : r;
  const head = ready ? 'ok' : 'not ready';
  return { code: ready ? 200 : 503, body: reason ? `${head}: ${reason}\n` : `${head}\n` };
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export async function startProbeServer(
  port: number,
  h: ProbeHandlers,
  host = '0.0.0.0',
): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/metrics' && h.registry) {
      const registry = h.registry;
      registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (err: unknown) => reply(500, `${String(err)}\n`),
      );
      return;
    }
    if (path === '/healthz' && h.healthy) return h.healthy() ? reply(200, 'ok\n') : reply(503, 'unhealthy\n');
    if (path === '/readyz' && h.ready) {
      const { code, body } = readyzBody(h.ready());
      return reply(code, body);
    }
    reply(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
