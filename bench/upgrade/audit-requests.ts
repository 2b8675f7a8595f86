// Every request one identity made to the apiserver in a window, from the apiserver's audit log (the rig
// logs all requests at Metadata level). apiserver_request_total has no client label, so the audit log is
// the apiserver's one record of who asked for what. Reads and watches count too: the census is reads.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface RequestCount {
  verb: string;
  resource: string;
  count: number;
}

interface AuditEvent {
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string };
}

/**
 * Requests by `username` in audit log text, by verb and resource. One per request: a watch is counted
 * when it starts (ResponseStarted; its ResponseComplete comes when it ends, maybe outside the window),
 * every other request when it completes.
 */
export function countRequests(text: string, username: string): RequestCount[] {
  const counts = new Map<string, RequestCount>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    let e: AuditEvent;
    try {
      e = JSON.parse(line) as AuditEvent;
    } catch {
      continue; // a line still being written at the end of the window
    }
    if (e.user?.username !== username) continue;
    const watch = e.verb === 'watch';
    if (e.stage !== (watch ? 'ResponseStarted' : 'ResponseComplete')) continue;
    const resource = `${e.objectRef?.resource ?? '?'}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;
    const key = `${e.verb}|${resource}`;
    const c = counts.get(key) ?? { verb: e.verb ?? '?', resource, count: 0 };
    c.count += 1;
    counts.set(key, c);
  }
  return [...counts.values()].sort(
    (a, b) => b.count - a.count || `${a.verb}${a.resource}`.localeCompare(`${b.verb}${b.resource}`),
  );
}

/** Current size of the audit log: the start of a window. */
export function auditSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The audit log text written after `offset`. */
export function auditTextSince(file: string, offset: number): string {
  const size = auditSize(file);
  // The rig rotates at 200 MB; a rotation inside the window would make the offset meaningless.
  if (size < offset) throw new Error(`${file} was rotated during the window`);
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

/**
 * The census's and rollout's share: pod lists, namespace reads and workload lists (the operator's other
 * requests are watches, its Lease, status writes and applies).
 */
export function isCensusRequest(c: RequestCount): boolean {
  if (c.resource === 'pods' || ['deployments', 'statefulsets', 'daemonsets'].includes(c.resource))
    return c.verb === 'list';
  return c.resource === 'namespaces' && c.verb === 'get';
}
