// The cluster side of `meshwright install` / `uninstall`: the CRD check, the namespace, the server-side
// apply of the IstioOperator, and the waits on what the operator writes back. Thin: every decision about
// a status is made by install-progress.ts; this file only reads, writes and keeps time.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { loadKubeConfig } from '../lib/kube/kubeconfig';
import { ownerSelector } from '../operator/controller/apply/ownership';
import { apiMessage, statusCode } from '../operator/controller/kube/api-errors';
import { MANAGED_KINDS } from '../operator/render/gvk';
import type { KubeClient, ObjectRef } from '../operator/controller/kube/kube-client';
import { IOP_API_VERSION, IOP_KIND, type IstioOperator, type IstioOperatorSpec } from '../operator/api/types';
import type { ExistingIop } from './install-spec';
import { failureReport, progressLines, verdict, type IopSnapshot } from './install-progress';

/** The field manager of the install command's applies (the operator's own is istio-operator). */
export const INSTALL_FIELD_MANAGER = 'meshwright-install';

export class InstallError extends Error {}

export function kubeConfigFor(file: string | undefined, context: string | undefined): KubeConfig {
  const kc = loadKubeConfig(file);
  if (context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === context)) {
      throw new InstallError(
        `--context: no context ${JSON.stringify(context)} in the kubeconfig (have: ${kc
          .getContexts()
          .map((c) => c.name)
          .join(', ')})`,
      );
    }
    kc.setCurrentContext(context);
  }
  return kc;
}

/** Fails clearly when the cluster does not serve IstioOperators (the CRD is part of Meshwright's install). */
export async function requireIopCrd(client: KubeClient): Promise<void> {
  let found: unknown;
  try {
    found = await client.resource(IOP_API_VERSION, IOP_KIND);
  } catch (err) {
    // Discovery of a group the apiserver does not serve answers 404.
    if (statusCode(err) !== 404) throw new InstallError(`cannot reach the cluster: ${apiMessage(err)}`);
  }
  if (!found) {
    throw new InstallError(
      'the IstioOperator CRD (istiooperators.install.istio.io) is not installed in this cluster: ' +
        'install Meshwright first (helm install meshwright charts/meshwright, or kubectl apply -k config/default)',
    );
  }
}

/** Every IstioOperator in the cluster (for the conflict check); undefined when the caller may not list them. */
export async function listIops(client: KubeClient): Promise<ExistingIop[] | undefined> {
  try {
    const list = await client.list(IOP_API_VERSION, IOP_KIND);
    return list.items.map((o) => ({
      name: o.metadata?.name ?? '',
      namespace: o.metadata?.namespace ?? '',
      spec: ((o as KubernetesObject & { spec?: IstioOperatorSpec }).spec ?? {}) as IstioOperatorSpec,
    }));
  } catch (err) {
    if (statusCode(err) === 403) return undefined;
    throw new InstallError(`cannot list IstioOperators: ${apiMessage(err)}`);
  }
}

export async function ensureNamespace(client: KubeClient, name: string): Promise<boolean> {
  const ref = { apiVersion: 'v1', kind: 'Namespace', name };
  if (await client.get(ref)) return false;
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    INSTALL_FIELD_MANAGER,
    true,
  );
  return true;
}

export function iopRef(name: string, namespace: string): ObjectRef {
  return { apiVersion: IOP_API_VERSION, kind: IOP_KIND, namespace, name };
}

export async function applyIop(client: KubeClient, iop: IstioOperator): Promise<IopSnapshot> {
  try {
    const live = await client.apply(iop as KubernetesObject, INSTALL_FIELD_MANAGER, true);
    return snapshot(live);
  } catch (err) {
    // The CRD's schema and CEL rules answer 422 with the field at fault.
    throw new InstallError(`the cluster rejected IstioOperator ${iop.metadata?.name}: ${apiMessage(err)}`);
  }
}

function snapshot(obj: KubernetesObject): IopSnapshot {
  const o = obj as KubernetesObject & { status?: IopSnapshot['status'] };
  return { generation: o.metadata?.generation, status: o.status };
}

export interface WaitOptions {
  timeoutMs: number;
  /** How long the operator may take to write a first status for this generation before it counts as absent. */
  operatorGraceMs: number;
  pollMs: number;
  print(line: string): void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls until HEALTHY (or ACTION_REQUIRED: installed, but a sidecar rollout needs a human) and returns that
 * status; throws InstallError with the failing condition on timeout, no operator, or a dead end.
 */
export async function waitHealthy(
  client: Pick<KubeClient, 'get'>,
  ref: ObjectRef,
  opts: WaitOptions,
): Promise<NonNullable<IopSnapshot['status']>> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const start = now();
  let prev: IopSnapshot | undefined;
  for (;;) {
    const live = await client.get(ref);
    if (!live) throw new InstallError(`IstioOperator ${ref.namespace}/${ref.name} was deleted while waiting`);
    const cur = snapshot(live);
    for (const line of progressLines(prev, cur)) opts.print(line);
    prev = cur;
    const v = verdict(cur);
    const elapsed = now() - start;
    if (v.kind === 'healthy') return cur.status ?? {};
    if (v.kind === 'failed') throw new InstallError(`the operator cannot install this spec: ${v.reason}`);
    if (v.kind === 'no-status' && elapsed >= opts.operatorGraceMs) {
      throw new InstallError(
        `no operator wrote a status for IstioOperator ${ref.namespace}/${ref.name} within ${Math.round(
          opts.operatorGraceMs / 1000,
        )}s: is the Meshwright operator running and watching namespace ${ref.namespace}?`,
      );
    }
    if (elapsed >= opts.timeoutMs) {
      throw new InstallError(
        `not HEALTHY after ${Math.round(opts.timeoutMs / 1000)}s:\n  ${failureReport(cur)}`,
      );
    }
    await sleep(opts.pollMs);
  }
}

/** How many objects still carry the IstioOperator's ownership labels (what its uninstall must remove). */
export async function countOwned(client: Pick<KubeClient, 'list'>, ref: ObjectRef): Promise<number> {
  const selector = ownerSelector({ namespace: ref.namespace ?? '', name: ref.name });
  const lists = await Promise.all(MANAGED_KINDS.map((k) => client.list(k.apiVersion, k.kind, selector)));
  return lists.reduce((n, l) => n + l.items.length, 0);
}

/**
 * Polls until the object is gone (the operator's finalizer removed what it installed, then itself),
 * printing how many owned objects are left whenever that changes; `owned` counts them.
 */
export async function waitGone(
  client: Pick<KubeClient, 'get' | 'list'>,
  ref: ObjectRef,
  opts: WaitOptions,
  owned: () => Promise<number> = () => countOwned(client, ref),
): Promise<void> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const start = now();
  let lastCount: number | undefined;
  for (;;) {
    const live = (await client.get(ref)) as
      (KubernetesObject & { status?: IopSnapshot['status'] }) | undefined;
    const left = await owned();
    if (left !== lastCount) opts.print(`- ${left} object${left === 1 ? '' : 's'} left`);
    lastCount = left;
    if (!live) {
      // The finalizer is released only after everything is deleted; anything left is a bug worth naming.
      if (left > 0)
        throw new InstallError(
          `IstioOperator ${ref.namespace}/${ref.name} is gone but ${left} of its objects remain`,
        );
      return;
    }
    const elapsed = now() - start;
    const finalizers = live.metadata?.finalizers ?? [];
    if (elapsed >= opts.timeoutMs) {
      throw new InstallError(
        `IstioOperator ${ref.namespace}/${ref.name} still exists after ${Math.round(opts.timeoutMs / 1000)}s` +
          (finalizers.length
            ? ` (finalizers ${finalizers.join(', ')}: is the Meshwright operator running?)`
            : ''),
      );
    }
    await sleep(opts.pollMs);
  }
}
