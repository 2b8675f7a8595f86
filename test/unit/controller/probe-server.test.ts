import { createRegistry } from '../../../lib/metrics';
import { startProbeServer } from '../../../operator/controller/runtime/probe-server';
import { Counter } from 'prom-client';

describe('probe server', () => {
  it('serves /metrics, /healthz and /readyz on one port', async () => {
    const registry = createRegistry(false);
    new Counter({ name: 'probe_test_total', help: 'x', registers: [registry] }).inc();
    let ready = false;
    const s = await startProbeServer(0, { registry, healthy: () => true, ready: () => ready }, '127.0.0.1');
    try {
      const get = (p: string) => fetch(`http://127.0.0.1:${s.port}${p}`);
      expect(await (await get('/metrics')).text()).toContain('probe_test_total 1');
      expect((await get('/healthz')).status).toBe(200);
      expect((await get('/readyz')).status).toBe(503);
      ready = true;
      expect((await get('/readyz')).status).toBe(200);
      expect((await get('/nope')).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('gives the reason for readiness in the /readyz body', async () => {
    let r = { ready: false, reason: 'waiting for leadership: cannot take lease ns/l: forbidden' };
    const s = await startProbeServer(0, { ready: () => r }, '127.0.0.1');
    try {
      const get = () => fetch(`http://127.0.0.1:${s.port}/readyz`);
      const notReady = await get();
      expect(notReady.status).toBe(503);
      expect(await notReady.text()).toBe(
        'not ready: waiting for leadership: cannot take lease ns/l: forbidden\n',
      );
      r = { ready: true, reason: 'waiting for leadership: lease ns/l is held by b' };
      const ready = await get();
      expect(ready.status).toBe(200);
      expect(await ready.text()).toBe('ok: waiting for leadership: lease ns/l is held by b\n');
    } finally {
      await s.close();
    }
  });
});
