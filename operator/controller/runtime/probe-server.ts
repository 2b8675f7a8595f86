// Plain-HTTP endpoints for Prometheus and the kubelet: /metrics, /healthz, /readyz. Metrics and probes
// may share one port or use two.
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { Registry } from 'prom-client';

export interface ProbeHandlers {
  registry?: Registry;
  healthy?: () => boolean;
  ready?: () => boolean;
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
    if (path === '/readyz' && h.ready) return h.ready() ? reply(200, 'ok\n') : reply(503, 'not ready\n');
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
