// A pod list+watch for the upgrade bench (the I/O side of pod-tracker.ts): one list, then a watch from
// its resourceVersion, each event handed to the tracker as it arrives, so the time of the last pod
// turning Ready is known to the event rather than to a polling interval, and 1,000 pods are not listed
// whole every second. A closed or expired watch is re-listed and resumed.
import { Agent, request } from 'node:https';
import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../../lib/errors';
import { BENCH_USER_AGENT } from '../common/kube';
import type { PodEventType, PodTracker } from './pod-tracker';

export interface ApiTarget {
  server: string;
  token: string;
  caPem: string;
}

export interface PodWatch {
  /** Ends the watch (no more events reach the tracker). */
  stop(): void;
  /** Restarts after errors, for the report. */
  restarts(): number;
}

export function watchPods(
  api: ApiTarget,
  labelSelector: string,
  tracker: PodTracker,
  onChange: () => void,
  onError: (message: string) => void,
): Promise<PodWatch> {
  const agent = new Agent({ keepAlive: true, ca: api.caPem, maxSockets: 2 });
  const url = new URL(api.server);
  const base = `/api/v1/pods?labelSelector=${encodeURIComponent(labelSelector)}`;
  let stopped = false;
  let restarts = 0;
  let abort: (() => void) | undefined;

  const get = (path: string, onLine?: (line: string) => void): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path,
          headers: {
            authorization: `Bearer ${api.token}`,
            accept: 'application/json',
            'user-agent': BENCH_USER_AGENT,
          },
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`GET ${path}: HTTP ${res.statusCode}`));
            return;
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            if (!onLine) return;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line) onLine(line);
            }
          });
          res.on('end', () => resolve(buf));
          res.on('error', reject);
        },
      );
      abort = () => req.destroy();
      req.on('error', reject);
      req.end();
    });

  const listOnce = async (): Promise<string> => {
    const list = JSON.parse(await get(base)) as { items?: V1Pod[]; metadata?: { resourceVersion?: string } };
    tracker.reset(list.items ?? []);
    onChange();
    return list.metadata?.resourceVersion ?? '';
  };

  const loop = async (firstRv: string): Promise<void> => {
    let rv = firstRv;
    while (!stopped) {
      try {
        if (!rv) rv = await listOnce();
        let expired = false;
        await get(`${base}&watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, (line) => {
          let e: { type?: string; object?: V1Pod };
          try {
            e = JSON.parse(line) as typeof e;
          } catch {
            return; // never a partial line (split on newlines), but a bad one must not crash the bench
          }
          if (e.type === 'ERROR') {
            expired = true; // 410 Gone: resume from a fresh list
            return;
          }
          const next = e.object?.metadata?.resourceVersion;
          if (next) rv = next;
          if (e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED') {
            tracker.event(e.type as PodEventType, e.object as V1Pod);
            onChange();
          }
        });
        if (expired) rv = '';
      } catch (err) {
        if (stopped) return;
        restarts++;
        onError(errorMessage(err));
        rv = '';
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  return listOnce().then((rv) => {
    void loop(rv);
    return {
      stop() {
        stopped = true;
        abort?.();
        agent.destroy();
      },
      restarts: () => restarts,
    };
  });
}
