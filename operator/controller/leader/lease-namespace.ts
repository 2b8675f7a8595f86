// Makes sure the namespace of the leader Lease exists before campaigning. Outside a cluster the default
// (istio-operator) usually does not: without this the operator would retry the Lease forever and never
// reconcile. A missing namespace is created (the operator's ClusterRole already has namespaces get and
// create, for component namespaces); if that fails, start-up fails with an error naming the fix.
import type { KubeHttp } from '../../../lib/kube/http';
import { apiMessage, statusCode } from '../kube/api-errors';

export interface NamespaceClient {
  /** Whether the namespace exists; throws on anything but 404. */
  exists(name: string): Promise<boolean>;
  create(name: string): Promise<void>;
}

/** exists; created now; unchecked: reading namespaces is forbidden, so the Lease calls will tell. */
export type LeaseNamespaceOutcome = 'exists' | 'created' | 'unchecked';

export class LeaseNamespaceError extends Error {
  constructor(namespace: string, cause: string) {
    super(
      `leader election: the Lease namespace "${namespace}" does not exist and could not be created ` +
        `(${cause}); create it, or pass --leader-election-namespace=<an existing namespace>, ` +
        `or run a single replica with --leader-elect=false`,
    );
    this.name = 'LeaseNamespaceError';
  }
}

export async function ensureLeaseNamespace(
  client: NamespaceClient,
  namespace: string,
): Promise<LeaseNamespaceOutcome> {
  try {
    if (await client.exists(namespace)) return 'exists';
  } catch (err) {
    if (statusCode(err) === 403) return 'unchecked';
    throw new Error(`leader election: cannot read namespace "${namespace}": ${apiMessage(err)}`);
  }
  try {
    await client.create(namespace);
    return 'created';
  } catch (err) {
    // Another replica created it first: fine.
    if (statusCode(err) === 409) return 'exists';
    throw new LeaseNamespaceError(namespace, apiMessage(err));
  }
}

export class KubeNamespaceClient implements NamespaceClient {
  constructor(private readonly http: KubeHttp) {}

  async exists(name: string): Promise<boolean> {
    try {
      await this.http.request({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(name)}` });
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw err;
    }
  }

  async create(name: string): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'meshwright-operator' } },
      },
    });
  }
}
