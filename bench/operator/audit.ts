// Counting writes from the apiserver's audit log (the rig logs every request at Metadata level): the
// mutating requests of a time window, grouped by user agent and resource.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export interface WriteCount {
  userAgent: string;
  verb: string;
  resource: string;
  count: number;
}

/** Current size of the log: pass it to `writesSince` later to read only what came after. */
export function auditOffset(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

interface AuditEvent {
  stage?: string;
  verb?: string;
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string };
}

/** Mutating requests logged after `offset` (one per request: the ResponseComplete stage). */
export function writesSince(file: string, offset: number): WriteCount[] {
  const size = auditOffset(file);
  // The rig rotates at 200 MB; a rotation inside the window would make the offset meaningless.
  if (size < offset) throw new Error(`${file} was rotated during the window`);
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  const counts = new Map<string, WriteCount>();
  for (const line of buf.toString('utf8').split('\n')) {
    if (!line) continue;
    let e: AuditEvent;
    try {
      e = JSON.parse(line) as AuditEvent;
    } catch {
      continue; // a line still being written at the end
    }
    if (e.stage !== 'ResponseComplete' || !WRITE_VERBS.has(e.verb ?? '')) continue;
    const resource = `${e.objectRef?.resource ?? '?'}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;
    // Agent names without their version/platform suffix ("kube-controller-manager/v1.35.8 (linux...)").
    const userAgent = (e.userAgent ?? '?').split(/[/ ]/)[0] ?? '?';
    const key = `${userAgent}|${e.verb}|${resource}`;
    const c = counts.get(key) ?? { userAgent, verb: e.verb ?? '', resource, count: 0 };
    c.count += 1;
    counts.set(key, c);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count);
}
