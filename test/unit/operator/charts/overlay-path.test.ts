// Overlay path syntax and semantics (the paths of k8s.overlays patches).
import type { KubernetesObject } from '@kubernetes/client-node';
import { applyPatch, parseOverlayPath } from '../../../../operator/render/charts/overlay-path';

const deployment = (): KubernetesObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'istiod', namespace: 'istio-system' },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'discovery',
              args: ['discovery', '--keepaliveMaxServerConnectionAge', '30m'],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'other', args: ['x'] },
          ],
        },
      },
    },
  }) as KubernetesObject;

const containersOf = (o: KubernetesObject) =>
  (o as unknown as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }).spec.template
    .spec.containers;

describe('parseOverlayPath', () => {
  it('parses keys, [key:value], [value], [N], attached brackets and escaped dots', () => {
    expect(parseOverlayPath('spec.containers.[name:discovery].args[0]')).toEqual([
      { kind: 'key', key: 'spec' },
      { kind: 'key', key: 'containers' },
      { kind: 'match', key: 'name', value: 'discovery' },
      { kind: 'key', key: 'args' },
      { kind: 'index', index: 0 },
    ]);
    expect(parseOverlayPath('webhooks.[name:namespace\\.sidecar-injector\\.istio\\.io].x')).toEqual([
      { kind: 'key', key: 'webhooks' },
      { kind: 'match', key: 'name', value: 'namespace.sidecar-injector.istio.io' },
      { kind: 'key', key: 'x' },
    ]);
    expect(parseOverlayPath('args.[30m]')).toEqual([
      { kind: 'key', key: 'args' },
      { kind: 'value', value: '30m' },
    ]);
    expect(parseOverlayPath('metadata.annotations.a\\.b')).toEqual([
      { kind: 'key', key: 'metadata' },
      { kind: 'key', key: 'annotations' },
      { kind: 'key', key: 'a.b' },
    ]);
  });

  it('rejects malformed paths', () => {
    expect(() => parseOverlayPath('a..b')).toThrow(/empty path element/);
    expect(() => parseOverlayPath('a.[b')).toThrow(/unbalanced/);
    expect(() => parseOverlayPath('a.[]')).toThrow(/empty \[\]/);
  });
});

describe('applyPatch', () => {
  it('replaces by index, by value and by key, and adds missing map keys', () => {
    const d = deployment() as unknown as Record<string, unknown>;
    applyPatch(d, 'spec.template.spec.containers.[name:discovery].args.[30m]', '60m', false);
    applyPatch(d, 'spec.template.spec.containers.[name:discovery].args[0]', 'DISCOVERY', false);
    applyPatch(d, 'spec.template.spec.containers.[name:discovery].env.[name:B].value', '3', false);
    applyPatch(d, 'spec.template.spec.containers.[1].securityContext.runAsUser', 7, false);
    const [discovery, other] = containersOf(d as unknown as KubernetesObject);
    expect(discovery.args).toEqual(['DISCOVERY', '--keepaliveMaxServerConnectionAge', '60m']);
    expect(discovery.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
    ]);
    expect(other.securityContext).toEqual({ runAsUser: 7 });
  });

  it('deletes list items and map keys', () => {
    const d = deployment() as unknown as Record<string, unknown>;
    applyPatch(d, 'spec.template.spec.containers.[name:discovery].env.[name:A]', undefined, true);
    applyPatch(d, 'spec.template.spec.containers.[name:other].args', undefined, true);
    const [discovery, other] = containersOf(d as unknown as KubernetesObject);
    expect(discovery.env).toEqual([{ name: 'B', value: '2' }]);
    expect(other).toEqual({ name: 'other' });
  });

  it('parses a YAML block string into a structure', () => {
    const d = deployment() as unknown as Record<string, unknown>;
    applyPatch(
      d,
      'spec.template.spec.containers.[name:discovery].env.[name:A].valueFrom',
      'fieldRef:\n  fieldPath: x\n',
      false,
    );
    expect(containersOf(d as unknown as KubernetesObject)[0].env).toContainEqual({
      name: 'A',
      value: '1',
      valueFrom: { fieldRef: { fieldPath: 'x' } },
    });
  });

  it('fails clearly when nothing matches', () => {
    const d = deployment() as unknown as Record<string, unknown>;
    expect(() => applyPatch(d, 'spec.template.spec.containers.[name:nope].args', 'x', false)).toThrow(
      /no list item matches at spec.template.spec.containers.\[name:nope\]/,
    );
    expect(() => applyPatch(d, 'spec.template.spec.containers.[name:discovery].args.x', 'x', false)).toThrow(
      /not a map/,
    );
  });
});
