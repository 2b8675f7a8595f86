// Polling for the control plane's health endpoints.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { errorMessage } from '../../lib/errors';

export interface Probe {
  readonly url: string;
  /** CA to verify an https endpoint with; omitted = do not verify (self-signed component certs). */
  readonly caPem?: string;
  readonly token?: string;
}

/** One GET; resolves with status and body, rejects on connection errors or after `timeoutMs`. */
export function httpGet(p: Probe, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  const url = new URL(p.url);
  const headers: Record<string, string> = p.token ? { authorization: `Bearer ${p.token}` } : {};
  return new Promise((resolve, reject) => {
    const opts = { method: 'GET', headers, timeout: timeoutMs };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...opts, ...(p.caPem ? { ca: p.caPem } : { rejectUnauthorized: false }) })
        : httpRequest(url, opts);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${p.url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` every `intervalMs` until it returns true. `abort` is consulted on every round and,
 * when it returns a reason (a process died, say), the wait fails at once with that reason.
 * The timeout error names what was awaited and the last failure seen.
 */
export async function pollUntil(
  description: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'not checked yet';
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new Error(`${description}: ${reason}`);
    try {
      if (await check()) return;
      last = 'condition false';
    } catch (err) {
      last = errorMessage(err);
    }
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${description} (last: ${last})`);
    await sleep(opts.intervalMs ?? 200);
  }
}

/** True when GET returns 200 (and, if given, a body matching `expect`). */
export async function probeOk(p: Probe, expect?: RegExp): Promise<boolean> {
  const res = await httpGet(p);
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
  return expect ? expect.test(res.body) : true;
}
