// What `meshwright status` shows, as pure functions: IstioOperators as read (status written by the
// operator) in, one row per IstioOperator/revision and a readable table out. Status comes from the
// apiserver untyped, so every field is checked for its type here and a missing one shows as '-'.

export interface RolloutSummary {
  phase: string;
  restarted: number;
  total: number;
  pending: number;
  /** The current (or last) batch number, when known. */
  batch?: number;
  inBatch: string[];
  stuck: string[];
  optedOut: string[];
  optedOutCount: number;
  invalidOptOuts: string[];
}

export interface RevisionRow {
  namespace: string;
  name: string;
  /** `default` for an IstioOperator without spec.revision. */
  revision: string;
  version?: string;
  status: string;
  message?: string;
  injected?: number;
  outdated?: number;
  /** The first outdated workloads (namespace/Kind/name) as the operator lists them. */
  outdatedWorkloads: string[];
  outdatedWorkloadCount: number;
  censusError?: string;
  rollout?: RolloutSummary;
  /** Revision tags whose webhook calls this revision now (IstioRevisionTag status), when any. */
  tags?: string[];
}

export interface StatusReport {
  revisions: RevisionRow[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const int = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

function rolloutOf(v: unknown): RolloutSummary | undefined {
  const r = obj(v);
  const phase = str(r.phase);
  if (!phase) return undefined;
  const optedOut = strings(r.optedOut);
  return {
    phase,
    restarted: strings(r.restarted).length,
    total: int(r.total) ?? 0,
    pending: int(r.pending) ?? 0,
    batch: int(r.batches),
    inBatch: strings(r.batch),
    stuck: strings(r.stuck),
    optedOut,
    optedOutCount: int(r.optedOutCount) ?? optedOut.length,
    invalidOptOuts: strings(r.invalidOptOuts),
  };
}

/** The tags (by their status: Ready, naming the revision) serving `revision`, sorted; undefined when none. */
function tagsOf(tags: readonly unknown[], revision: string): string[] | undefined {
  const names = tags
    .map(obj)
    .filter((t) => obj(t.status).state === 'Ready' && obj(t.status).revision === revision)
    .map((t) => str(obj(t.metadata).name))
    .filter((n): n is string => n !== undefined)
    .sort();
  return names.length ? names : undefined;
}

/** One row per IstioOperator, sorted by namespace and name. */
export function statusReport(iops: readonly unknown[], tags: readonly unknown[] = []): StatusReport {
  const revisions = iops.map((raw): RevisionRow => {
    const o = obj(raw);
    const meta = obj(o.metadata);
    const spec = obj(o.spec);
    const status = obj(o.status);
    const mw = obj(status.meshwright);
    const sidecars = obj(mw.sidecars);
    const outdatedWorkloads = strings(sidecars.outdatedWorkloads);
    const row: RevisionRow = {
      namespace: str(meta.namespace) ?? '',
      name: str(meta.name) ?? '',
      revision: str(spec.revision) ?? 'default',
      version: str(mw.version),
      status: str(status.status) ?? 'NONE',
      message: str(status.message),
      injected: int(sidecars.injected),
      outdated: int(sidecars.outdated),
      outdatedWorkloads,
      outdatedWorkloadCount: int(sidecars.outdatedWorkloadCount) ?? outdatedWorkloads.length,
      censusError: str(sidecars.error),
      rollout: rolloutOf(mw.sidecarRollout),
      tags: tagsOf(tags, str(spec.revision) ?? 'default'),
    };
    return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) as RevisionRow;
  });
  revisions.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return { revisions };
}

/** The ROLLOUT cell: phase and restarted/total, plus what needs a look. */
export function rolloutCell(r: RolloutSummary | undefined): string {
  if (!r) return '-';
  const parts = [`${r.phase} ${r.restarted}/${r.total}`];
  if (r.phase === 'Running' && r.batch !== undefined && r.inBatch.length > 0) parts.push(`batch ${r.batch}`);
  if (r.stuck.length > 0) parts.push(`${r.stuck.length} stuck`);
  if (r.optedOutCount > 0) parts.push(`${r.optedOutCount} opted out`);
  return parts.join(', ');
}

function columns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   '))
    .join('\n');
}

/** The table, then per revision its first outdated workloads and what its rollout waits for. */
export function renderStatusTable(report: StatusReport): string {
  if (report.revisions.length === 0) return 'No IstioOperators found.\n';
  const header = ['NAMESPACE', 'NAME', 'REVISION', 'VERSION', 'STATUS', 'INJECTED', 'OUTDATED', 'ROLLOUT'];
  const rows = report.revisions.map((r) => [
    r.namespace,
    r.name,
    r.revision,
    r.version ?? '-',
    r.status,
    r.injected === undefined ? '-' : String(r.injected),
    r.outdated === undefined ? '-' : String(r.outdated),
    rolloutCell(r.rollout),
  ]);
  const out = [columns([header, ...rows]), ''];
  for (const r of report.revisions) {
    const lines: string[] = [];
    if (r.tags) lines.push(`  tags: ${r.tags.join(', ')}`);
    if (r.censusError) lines.push(`  sidecar census failed: ${r.censusError}`);
    if (r.outdatedWorkloadCount > 0) {
      const shown = r.outdatedWorkloads.length;
      lines.push(
        `  ${r.outdatedWorkloadCount} workload(s) with outdated sidecars` +
          (shown < r.outdatedWorkloadCount ? `, first ${shown}:` : ':'),
      );
      const optedOut = new Set(r.rollout?.optedOut ?? []);
      for (const w of r.outdatedWorkloads) lines.push(`    ${w}${optedOut.has(w) ? '   (opted out)' : ''}`);
      if (shown < r.outdatedWorkloadCount) lines.push(`    ... and ${r.outdatedWorkloadCount - shown} more`);
    }
    const ro = r.rollout;
    if (ro && ro.inBatch.length > 0 && ro.phase === 'Running')
      lines.push(`  rolling out (batch ${ro.batch ?? '?'}): ${ro.inBatch.join(', ')}`);
    if (ro && ro.stuck.length > 0) lines.push(`  rollout halted, not Ready: ${ro.stuck.join(', ')}`);
    if (ro && ro.optedOutCount > 0) {
      const more =
        ro.optedOutCount > ro.optedOut.length ? ` and ${ro.optedOutCount - ro.optedOut.length} more` : '';
      lines.push(`  opted out of the rollout (${ro.optedOutCount}): ${ro.optedOut.join(', ')}${more}`);
    }
    for (const bad of ro?.invalidOptOuts ?? []) lines.push(`  ${bad}`);
    if (lines.length === 0) continue;
    out.push(`Revision ${r.revision} (${r.namespace}/${r.name}${r.version ? `, Istio ${r.version}` : ''}):`);
    out.push(...lines, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
