// The apiserver's audit log as test evidence, and control planes of a test's own.
//
// - readAudit(): the Metadata-level events hack/cluster's policy writes (one JSON object a line), one per
//   request (a watch logs ResponseStarted and later ResponseComplete; the last stage wins).
// - requestsOf(): those events as (user, verb, group, resource, namespace, name, code) for some users,
//   attributed by `user.username` (system:serviceaccount:<ns>:<name>), impersonation never counted.
// - grantsOf() / permissionsOf(): what the RBAC objects of a rendered config grant one ServiceAccount,
//   expanded to one (role, scope, group, resource, verb[, names]) atom each.
// - unusedPermissions(): atoms no allowed request exercised; usageTable(): a printable summary.
// - startCli(): the built `meshwright` CLI as a child process, its stderr log kept in memory.
// - startPrivateControlPlane(): a separate, small control plane (about 5 s) for tests that must restart its
//   apiserver, or need an audit log holding nothing but their own traffic, without disturbing the suites
//   that share the jest run's cluster. restartApiserver() stops and starts its kube-apiserver alone.
import { KubeConfig } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ensureBinaries, repoRoot } from '../../../hack/cluster/binaries';
import { startControlPlane, type ControlPlane } from '../../../hack/cluster/control-plane';
import { startProcess, stopProcess, type ProcessRecord } from '../../../hack/cluster/processes';
import { probeOk, pollUntil } from '../../../hack/cluster/readiness';
import { registry, runStateFile } from '../../../hack/cluster/registry';
import { removeState, stopState, writeState, type ClusterState } from '../../../hack/cluster/state';

export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI?: string;
  user?: { username?: string; groups?: string[] };
  impersonatedUser?: { username?: string };
  objectRef?: {
    resource?: string;
    subresource?: string;
    apiGroup?: string;
    namespace?: string;
    name?: string;
  };
  responseStatus?: { code?: number; message?: string; reason?: string };
  annotations?: Record<string, string>;
  requestReceivedTimestamp?: string;
}

/** Every audited request of `file` (deduplicated by auditID, the last stage kept), in log order. */
export function readAudit(file: string): AuditEvent[] {
  if (!existsSync(file)) throw new Error(`no audit log at ${file}`);
  const byId = new Map<string, AuditEvent>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as AuditEvent;
    byId.set(e.auditID, e);
  }
  return [...byId.values()];
}

export interface Request {
  user: string;
  verb: string;
  /** '' for the core group. */
  group: string;
  /** `resource` or `resource/subresource`; for non-resource requests the URL path. */
  resource: string;
  nonResource: boolean;
  namespace?: string;
  name?: string;
  /** HTTP status; undefined while a watch is still open (ResponseStarted). */
  code?: number;
  /** The authorizer's decision and reason, as the audit annotations carry them. */
  decision?: string;
  reason?: string;
  message?: string;
  time: string;
}

/** The requests of `users` (by `user.username`), optionally only those received at or after `since`. */
export function requestsOf(events: readonly AuditEvent[], users: readonly string[], since = ''): Request[] {
  const wanted = new Set(users);
  const out: Request[] = [];
  for (const e of events) {
    const user = e.user?.username ?? '';
    if (!wanted.has(user) || e.impersonatedUser) continue;
    const time = e.requestReceivedTimestamp ?? '';
    if (time < since) continue;
    const ref = e.objectRef;
    const nonResource = !ref?.resource;
    out.push({
      user,
      verb: e.verb,
      group: ref?.apiGroup ?? '',
      resource: nonResource
        ? (e.requestURI ?? '').split('?')[0]
        : `${ref.resource}${ref.subresource ? `/${ref.subresource}` : ''}`,
      nonResource,
      ...(ref?.namespace ? { namespace: ref.namespace } : {}),
      ...(ref?.name ? { name: ref.name } : {}),
      ...(e.responseStatus?.code !== undefined ? { code: e.responseStatus.code } : {}),
      ...(e.annotations?.['authorization.k8s.io/decision']
        ? { decision: e.annotations['authorization.k8s.io/decision'] }
        : {}),
      ...(e.annotations?.['authorization.k8s.io/reason']
        ? { reason: e.annotations['authorization.k8s.io/reason'] }
        : {}),
      ...(e.responseStatus?.message ? { message: e.responseStatus.message } : {}),
      time,
    });
  }
  return out;
}

/** Requests the apiserver refused with 403 (RBAC or admission), each one to report. */
export const forbidden = (reqs: readonly Request[]): Request[] => reqs.filter((r) => r.code === 403);

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** A rule as granted to a subject: by which role, and where (undefined namespace = cluster-wide). */
export interface Grant {
  role: string;
  namespace?: string;
  rule: PolicyRule;
}

interface RbacObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** What the (Cluster)Roles of `objects` grant ServiceAccount `namespace/name` through its bindings. */
export function grantsOf(objects: readonly object[], namespace: string, name: string): Grant[] {
  const objs = objects as RbacObject[];
  const find = (kind: string, n: string, ns?: string) =>
    objs.find((o) => o.kind === kind && o.metadata?.name === n && (!ns || o.metadata?.namespace === ns));
  const grants: Grant[] = [];
  for (const b of objs) {
    if (b.kind !== 'ClusterRoleBinding' && b.kind !== 'RoleBinding') continue;
    const bound = (b.subjects ?? []).some(
      (s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace,
    );
    if (!bound || !b.roleRef) continue;
    const bindingNs = b.kind === 'RoleBinding' ? b.metadata?.namespace : undefined;
    const role =
      b.roleRef.kind === 'ClusterRole'
        ? find('ClusterRole', b.roleRef.name)
        : find('Role', b.roleRef.name, bindingNs);
    if (!role)
      throw new Error(`${b.kind} ${b.metadata?.name}: ${b.roleRef.kind} ${b.roleRef.name} is missing`);
    for (const rule of role.rules ?? [])
      grants.push({
        role: `${role.kind}/${role.metadata?.name}`,
        ...(bindingNs ? { namespace: bindingNs } : {}),
        rule,
      });
  }
  return grants;
}

/** One verb on one resource of one group, as granted by one rule. */
export interface Permission {
  role: string;
  namespace?: string;
  group: string;
  resource: string;
  verb: string;
  resourceNames?: string[];
}

export const permissionKey = (p: Permission): string =>
  `${p.role}${p.namespace ? ` (in ${p.namespace})` : ''}: ${p.verb} ${p.group || 'core'}/${p.resource}` +
  (p.resourceNames?.length ? ` [${p.resourceNames.join(',')}]` : '');

export function permissionsOf(grants: readonly Grant[]): Permission[] {
  const out: Permission[] = [];
  for (const g of grants)
    for (const group of g.rule.apiGroups ?? [])
      for (const resource of g.rule.resources ?? [])
        for (const verb of g.rule.verbs)
          out.push({
            role: g.role,
            ...(g.namespace ? { namespace: g.namespace } : {}),
            group,
            resource,
            verb,
            ...(g.rule.resourceNames?.length ? { resourceNames: g.rule.resourceNames } : {}),
          });
  return out;
}

/**
 * The verbs a request exercised. A server-side apply (PATCH) that created its object (201) was also
 * authorized as `create`: the apiserver checks create before a patch may create.
 */
export function verbsOf(r: Request): string[] {
  return r.verb === 'patch' && r.code === 201 ? ['patch', 'create'] : [r.verb];
}

export function covers(p: Permission, r: Request, verb: string): boolean {
  if (r.nonResource || p.verb !== verb || p.group !== r.group || p.resource !== r.resource) return false;
  if (p.namespace && p.namespace !== r.namespace) return false;
  if (p.resourceNames && !(r.name && p.resourceNames.includes(r.name))) return false;
  return true;
}

/** Permissions no allowed request of the subject exercised. */
export function unusedPermissions(perms: readonly Permission[], reqs: readonly Request[]): Permission[] {
  const allowed = reqs.filter((r) => r.code === undefined || r.code !== 403);
  return perms.filter((p) => !allowed.some((r) => verbsOf(r).some((v) => covers(p, r, v))));
}

/** `user verb group/resource count forbidden` rows, sorted, as an aligned text table. */
export function usageTable(reqs: readonly Request[]): string {
  const rows = new Map<string, { user: string; verb: string; resource: string; n: number; denied: number }>();
  for (const r of reqs) {
    const resource = r.nonResource ? r.resource : `${r.group || 'core'}/${r.resource}`;
    const key = `${r.user}\0${r.verb}\0${resource}`;
    const row = rows.get(key) ?? { user: r.user, verb: r.verb, resource, n: 0, denied: 0 };
    row.n += 1;
    if (r.code === 403) row.denied += 1;
    rows.set(key, row);
  }
  const body = [...rows.values()]
    .sort(
      (a, b) =>
        a.user.localeCompare(b.user) || a.resource.localeCompare(b.resource) || a.verb.localeCompare(b.verb),
    )
    .map((r) => [r.user, r.verb, r.resource, String(r.n), String(r.denied)]);
  const all = [['user', 'verb', 'group/resource', 'count', '403'], ...body];
  const widths = all[0].map((_, i) => Math.max(...all.map((row) => row[i].length)));
  return all
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export interface PrivateControlPlane {
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly auditLog: string;
  kubeConfig(): KubeConfig;
  /** Stops kube-apiserver alone (SIGTERM, SIGKILL after 10 s) and starts it again with the same flags. */
  restartApiserver(): Promise<{ downMs: number }>;
  stop(): Promise<void>;
}

/**
 * A control plane of the calling test file only (etcd, apiserver, controller-manager, scheduler, kwok) in
 * a fresh /tmp directory, recorded under .cluster/runs/ and tied to this process by the rig's watchdog, so
 * a killed jest worker leaves nothing behind.
 */
export async function startPrivateControlPlane(prefix: string): Promise<PrivateControlPlane> {
  const root = repoRoot(__dirname);
  const binaries = ensureBinaries(root);
  const dir = mkdtempSync(join(tmpdir(), `meshwright-${prefix}-`));
  const stateFile = runStateFile(registry(root), basename(dir));
  const cp: ControlPlane = await startControlPlane({
    dir,
    binaries,
    stateFiles: [stateFile],
    ownerPid: process.pid,
  });
  let state: ClusterState = cp.state;
  const apiserverRecord = (): ProcessRecord => {
    const p = state.processes.find((x) => x.name === 'kube-apiserver');
    if (!p) throw new Error('the private control plane has no kube-apiserver');
    return p;
  };
  const kubeConfig = () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    return kc;
  };
  return {
    dir,
    kubeconfigPath: cp.kubeconfigPath,
    auditLog: join(dir, 'logs', 'audit.log'),
    kubeConfig,
    async restartApiserver() {
      const old = apiserverRecord();
      const args = readFileSync(`/proc/${old.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
      const t0 = Date.now();
      await stopProcess(old);
      const p = startProcess('kube-apiserver', old.command, args, old.logFile);
      // The watchdog reads the pid file: a replacement must be stopped with the rest.
      appendFileSync(join(dir, 'pids'), `${p.pid}\n`);
      state = {
        ...state,
        processes: state.processes.map((x) =>
          x.name === 'kube-apiserver'
            ? { name: p.name, pid: p.pid, command: p.command, logFile: p.logFile }
            : x,
        ),
      };
      writeState(stateFile, state);
      await pollUntil(
        'restarted kube-apiserver /readyz',
        () => probeOk({ url: `${state.server}/readyz`, caPem: cp.caPem, token: cp.token }),
        { timeoutMs: 60_000, abort: () => (p.exited() ? 'kube-apiserver exited' : undefined) },
      );
      return { downMs: Date.now() - t0 };
    },
    async stop() {
      await stopState(state);
      removeState(stateFile);
      if (process.env.MESHWRIGHT_KEEP_CLUSTER_DIR !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A `node bin/meshwright.js ...` child process of the test, with its (JSON) stderr lines. */
export interface CliProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Log records (parsed JSON lines) whose message is `message`. */
  records(message: string): Record<string, unknown>[];
}

export function startCli(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const cli = join(repoRoot(__dirname), 'bin', 'meshwright.js');
  if (!existsSync(join(repoRoot(__dirname), 'dist', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  let buffered = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    log.push(...lines);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const records = (message: string) =>
    log.flatMap((l) => {
      try {
        const r = JSON.parse(l) as Record<string, unknown>;
        return r.message === message ? [r] : [];
      } catch {
        return [];
      }
    });
  return { name, child, log, exit, records };
}

/** SIGTERM (or `signal`) to a CLI process we started, and its exit. */
export async function stopCli(
  p: CliProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exit;
}
