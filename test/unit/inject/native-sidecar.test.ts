import type { V1Pod } from '@kubernetes/client-node';
import { injectPod } from '../../../inject';
import { atLeast, nativeSidecarDefault } from '../../../inject/native-sidecar';
import { config, pod } from './fixtures';

describe('nativeSidecarDefault', () => {
  it('auto: only when every node runs kubelet >= 1.33', () => {
    expect(nativeSidecarDefault('auto', ['v1.33.0', 'v1.34.2'])).toBe(true);
    expect(nativeSidecarDefault('auto', ['v1.33.0', 'v1.32.9'])).toBe(false);
    expect(nativeSidecarDefault('auto', [])).toBe(false);
  });
  it('forced modes ignore the nodes', () => {
    expect(nativeSidecarDefault('enabled', ['v1.28.0'])).toBe(true);
    expect(nativeSidecarDefault('disabled', ['v1.35.0'])).toBe(false);
  });
  it('parses vendor version strings', () => {
    expect(atLeast('v1.33.1-eks-abc', 1, 33)).toBe(true);
    expect(atLeast('1.34.0+k3s1', 1, 33)).toBe(true);
    expect(atLeast('v2.0.0', 1, 33)).toBe(true);
    expect(atLeast('garbage', 1, 33)).toBe(false);
  });
});

describe('per-pod sidecar.istio.io/nativeSidecar', () => {
  const where = (p: V1Pod, mode: 'auto' | 'disabled') => {
    const o = injectPod({ pod: p, namespace: 'ns', admission: true }, config([], { nativeSidecars: mode }));
    if (o.kind !== 'injected') throw new Error(o.kind);
    return o.pod.spec?.initContainers?.some((c) => c.name === 'istio-proxy') ? 'init' : 'containers';
  };
  const annotated = (v: string) =>
    pod({}, { name: 'a', annotations: { 'sidecar.istio.io/nativeSidecar': v } });

  it('opts in on old clusters and out on new ones', () => {
    expect(where(annotated('true'), 'disabled')).toBe('init');
    expect(where(annotated('false'), 'auto')).toBe('containers');
    expect(where(pod(), 'auto')).toBe('init');
    expect(where(pod(), 'disabled')).toBe('containers');
  });
});

describe('a user istio-proxy with a per-pod native opt-in', () => {
  it('ends up as the one native sidecar, with the override applied', () => {
    const p = pod(
      {
        containers: [
          { name: 'app', image: 'app:1' },
          { name: 'istio-proxy', image: 'auto', env: [{ name: 'EXTRA', value: '1' }] },
        ],
      },
      { name: 'a', annotations: { 'sidecar.istio.io/nativeSidecar': 'true' } },
    );
    const o = injectPod(
      { pod: p, namespace: 'ns', admission: true },
      config([], { nativeSidecars: 'disabled' }),
    );
    if (o.kind !== 'injected') throw new Error(o.kind);
    expect(o.pod.spec?.containers.map((c) => c.name)).toEqual(['app']);
    const proxy = o.pod.spec?.initContainers?.find((c) => c.name === 'istio-proxy');
    expect(proxy?.restartPolicy).toBe('Always');
    expect(proxy?.env?.find((e) => e.name === 'EXTRA')?.value).toBe('1');
  });
});

describe('re-injection across a change of sidecar mode', () => {
  it('turns a native sidecar back into a valid regular container', () => {
    const first = injectPod({ pod: pod(), namespace: 'ns', admission: true }, config());
    if (first.kind !== 'injected') throw new Error(first.kind);
    const o = injectPod(
      { pod: first.pod, namespace: 'ns', admission: true },
      config([], { nativeSidecars: 'disabled' }),
    );
    if (o.kind !== 'injected') throw new Error(o.kind);
    expect(o.pod.spec?.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
    const proxy = o.pod.spec?.containers.find((c) => c.name === 'istio-proxy');
    expect(proxy?.restartPolicy).toBeUndefined();
    expect(proxy?.lifecycle).toBeUndefined();
    expect(o.pod.spec?.containers.map((c) => c.name)).toEqual(['app', 'istio-proxy']);
  });
});
