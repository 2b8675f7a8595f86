import { countRequests, isCensusRequest } from '../../../bench/upgrade/audit-requests';

const OP = 'system:serviceaccount:meshwright-system:meshwright-operator';
const line = (username: string, stage: string, verb: string, resource: string, subresource?: string) =>
  JSON.stringify({
    kind: 'Event',
    stage,
    verb,
    user: { username },
    objectRef: { resource, ...(subresource ? { subresource } : {}) },
  });

describe('countRequests', () => {
  it("counts one identity's requests once each, by verb and resource", () => {
    const text = [
      line(OP, 'ResponseComplete', 'list', 'pods'),
      line(OP, 'ResponseComplete', 'list', 'pods'),
      line(OP, 'ResponseComplete', 'get', 'namespaces'),
      line(OP, 'ResponseComplete', 'patch', 'istiooperators', 'status'),
      // A watch: counted when it starts, not again when it ends.
      line(OP, 'ResponseStarted', 'watch', 'pods'),
      line(OP, 'ResponseComplete', 'watch', 'pods'),
      // Other identities and a half-written last line.
      line('admin', 'ResponseComplete', 'list', 'pods'),
      line('system:kube-controller-manager', 'ResponseComplete', 'update', 'leases'),
      '{"kind":"Event","stage":"Respo',
      '',
    ].join('\n');
    expect(countRequests(text, OP)).toEqual([
      { verb: 'list', resource: 'pods', count: 2 },
      { verb: 'get', resource: 'namespaces', count: 1 },
      { verb: 'patch', resource: 'istiooperators/status', count: 1 },
      { verb: 'watch', resource: 'pods', count: 1 },
    ]);
  });

  it('tells the census and rollout reads from the rest', () => {
    const census = (verb: string, resource: string) => isCensusRequest({ verb, resource, count: 1 });
    expect(census('list', 'pods')).toBe(true);
    expect(census('get', 'namespaces')).toBe(true);
    expect(census('list', 'deployments')).toBe(true);
    expect(census('watch', 'pods')).toBe(false);
    expect(census('patch', 'deployments')).toBe(false);
    expect(census('update', 'leases')).toBe(false);
  });
});
