// The floor: the webhook's HTTP stack (fastify with the same TLS options, body limit, timeouts and JSON
// parser) answering every AdmissionReview `allowed: true` with no work. Its cost under the same load is
// what TLS, HTTP and JSON cost; the webhook's excess over it is the cost of injection.
//   node dist/bench/webhook/floor-server.js <port> <cert.pem> <key.pem>
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { DEFAULT_BODY_LIMIT, DEFAULT_REQUEST_TIMEOUT_MS } from '../../webhook/server/app';
import { secureServerOptions } from '../../webhook/tls/options';
import { errorMessage } from '../../lib/errors';

interface Review {
  request?: { uid?: string };
}

async function main(argv: string[]): Promise<void> {
  const [port = '0', certFile = '', keyFile = ''] = argv;
  const app = Fastify({
    logger: false,
    bodyLimit: DEFAULT_BODY_LIMIT,
    requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    https: secureServerOptions({ cert: readFileSync(certFile), key: readFileSync(keyFile) }),
  });
  app.post('/inject', async (request) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: (request.body as Review | null)?.request?.uid ?? '', allowed: true },
  }));
  await app.listen({ host: '127.0.0.1', port: Number(port) });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`floor server: ${errorMessage(err)}\n`);
  process.exit(1);
});
