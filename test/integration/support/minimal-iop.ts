// The minimal-profile IstioOperator that the operator-process suites install through a real
// `meshwright operator`: create it, wait until the operator reports it HEALTHY, and remove it after.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { RawKubeClient } from '../../../operator/controller/kube/raw-object-api';
import { waitFor } from './cluster';

const IOP = 'install.istio.io/v1alpha1';

/** The parts of IstioOperator status these suites read. */
export interface IopStatus {
  status?: string;
  meshwright?: { version?: string };
}

export const iopRefOf = (namespace: string, name: string) => ({
  apiVersion: IOP,
  kind: 'IstioOperator',
  namespace,
  name,
});

async function readStatus(
  admin: RawKubeClient,
  namespace: string,
  name: string,
): Promise<IopStatus | undefined> {
  const live = (await admin.get(iopRefOf(namespace, name))) as
    (KubernetesObject & { status?: IopStatus }) | undefined;
  return live?.status;
}

/**
 * Creates IstioOperator `name` (profile minimal, installing into its own namespace) and waits up to
 * `timeoutMs` for status HEALTHY; returns that status. Fails with waitFor's message on timeout.
 */
export async function installMinimalIop(
  admin: RawKubeClient,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<IopStatus> {
  await admin.create({
    apiVersion: IOP,
    kind: 'IstioOperator',
    metadata: { name, namespace },
    spec: { profile: 'minimal', namespace },
  } as KubernetesObject);
  return waitFor(
    async () => {
      const status = await readStatus(admin, namespace, name);
      return status?.status === 'HEALTHY' ? status : undefined;
    },
    timeoutMs,
    'minimal profile HEALTHY',
    500,
  );
}

/**
 * Deletes the IstioOperator and lets a running operator finalize it (uninstall) for up to
 * `timeoutMs`; if none does, strips the finalizer so nothing is left holding the namespace.
 */
export async function removeIop(
  admin: RawKubeClient,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const ref = iopRefOf(namespace, name);
  await admin.delete(ref).catch(() => undefined);
  await waitFor(async () => (await admin.get(ref)) === undefined, timeoutMs, 'IstioOperator finalized').catch(
    () => admin.mergePatch(ref, { metadata: { finalizers: null } }).catch(() => undefined),
  );
}
