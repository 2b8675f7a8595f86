import {
  ensureLeaseNamespace,
  LeaseNamespaceError,
  type NamespaceClient,
} from '../../../operator/controller/leader/lease-namespace';

const apiError = (code: number, message: string) => Object.assign(new Error(message), { code });

/** An in-memory namespace API; `failRead`/`failCreate` make the next calls throw. */
class FakeNamespaces implements NamespaceClient {
  readonly names = new Set<string>();
  created: string[] = [];
  failRead: Error | undefined;
  failCreate: Error | undefined;

  async exists(name: string): Promise<boolean> {
    if (this.failRead) throw this.failRead;
    return this.names.has(name);
  }

  async create(name: string): Promise<void> {
    if (this.failCreate) throw this.failCreate;
    this.names.add(name);
    this.created.push(name);
  }
}

describe('ensureLeaseNamespace', () => {
  it('leaves an existing namespace alone', async () => {
    const api = new FakeNamespaces();
    api.names.add('istio-operator');
    expect(await ensureLeaseNamespace(api, 'istio-operator')).toBe('exists');
    expect(api.created).toEqual([]);
  });

  it('creates a missing namespace', async () => {
    const api = new FakeNamespaces();
    expect(await ensureLeaseNamespace(api, 'istio-operator')).toBe('created');
    expect(api.created).toEqual(['istio-operator']);
  });

  it('treats a create race lost to another replica (409) as existing', async () => {
    const api = new FakeNamespaces();
    api.failCreate = apiError(409, 'namespaces "istio-operator" already exists');
    expect(await ensureLeaseNamespace(api, 'istio-operator')).toBe('exists');
  });

  it('does not guess when reading namespaces is forbidden', async () => {
    const api = new FakeNamespaces();
    api.failRead = apiError(403, 'forbidden');
    expect(await ensureLeaseNamespace(api, 'istio-operator')).toBe('unchecked');
    expect(api.created).toEqual([]);
  });

  it('fails with an error naming the namespace, the cause and the flags that fix it', async () => {
    const api = new FakeNamespaces();
    api.failCreate = apiError(403, 'namespaces is forbidden: User "dev" cannot create resource "namespaces"');
    const err = await ensureLeaseNamespace(api, 'mesh-ops').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseNamespaceError);
    const message = (err as Error).message;
    expect(message).toContain('"mesh-ops" does not exist and could not be created');
    expect(message).toContain('User "dev" cannot create resource "namespaces"');
    expect(message).toContain('--leader-election-namespace');
    expect(message).toContain('--leader-elect=false');
  });

  it('reports other read errors with the namespace', async () => {
    const api = new FakeNamespaces();
    api.failRead = new Error('connect ECONNREFUSED 127.0.0.1:6443');
    await expect(ensureLeaseNamespace(api, 'istio-operator')).rejects.toThrow(
      'leader election: cannot read namespace "istio-operator": connect ECONNREFUSED 127.0.0.1:6443',
    );
  });
});
