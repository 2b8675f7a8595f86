// Helpers for integration tests against the control plane that globalSetup started.
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../../lib/errors';

/** Path of the admin kubeconfig (for kubectl-like use, or to hand to a process under test). */
export function kubeconfigPath(): string {
  const path = process.env.MESHWRIGHT_TEST_KUBECONFIG;
  if (!path)
    throw new Error(
      'MESHWRIGHT_TEST_KUBECONFIG is not set: run through the jest integration project (its globalSetup starts the cluster)',
    );
  return path;
}

/** Work directory of the cluster (logs/audit.log, pki/ca.crt); undefined for an external cluster. */
export function clusterDir(): string | undefined {
  return process.env.MESHWRIGHT_TEST_CLUSTER_DIR;
}

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

export const coreApi = (): CoreV1Api => kubeConfig().makeApiClient(CoreV1Api);
export const appsApi = (): AppsV1Api => kubeConfig().makeApiClient(AppsV1Api);
export const admissionApi = (): AdmissionregistrationV1Api =>
  kubeConfig().makeApiClient(AdmissionregistrationV1Api);
export const rbacApi = (): RbacAuthorizationV1Api => kubeConfig().makeApiClient(RbacAuthorizationV1Api);

/** A DNS-1123 name unique to this call: `<prefix>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`.toLowerCase();
}

/**
 * Polls `condition` until it returns a value other than undefined/false, and returns that value.
 * Errors thrown by the condition count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  condition: () => Promise<T | undefined | false>,
  timeoutMs: number,
  description: string,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await condition();
      if (v !== undefined && v !== false) return v;
      last = '';
    } catch (err) {
      last = errorMessage(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${description}${last ? ` (last error: ${last})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Creates a namespace with a unique name and waits for its default ServiceAccount (the
 * controller-manager makes it; pods are rejected until it exists). Returns the name.
 */
export async function createTestNamespace(
  prefix = 'test',
  labels: Record<string, string> = {},
): Promise<string> {
  const core = coreApi();
  const name = uniqueName(prefix);
  await core.createNamespace({
    body: { metadata: { name, labels: { 'meshwright.test/owner': 'integration', ...labels } } },
  });
  await waitFor(
    async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: name })) && true,
    30_000,
    `default ServiceAccount in namespace ${name}`,
  );
  return name;
}

/** Deletes a namespace without waiting for its finalization; absent is fine. */
export async function deleteNamespace(name: string): Promise<void> {
  try {
    await coreApi().deleteNamespace({ name });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}
