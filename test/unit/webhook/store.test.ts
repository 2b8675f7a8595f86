import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  buildFromConfigMaps,
  configMapRole,
  type ConfigMapBuilder,
} from '../../../webhook/config/configmaps';
import { ConfigStore } from '../../../webhook/config/store';
import { config } from './fixtures';

function cm(name: string, data: Record<string, string>, namespace = 'istio-system'): V1ConfigMap {
  return { metadata: { name, namespace }, data };
}

/** Builds a config whose values record the ConfigMap data, so tests see what was used. */
const recordingBuilder: ConfigMapBuilder = ({ revision, injector, mesh, nativeSidecars }) => {
  if (injector.data?.values === 'broken') throw new Error('cannot parse injector values (JSON)');
  return {
    ...config(revision),
    nativeSidecars,
    values: { global: { hub: injector.data?.values } },
    meshConfig: { trustDomain: mesh?.data?.mesh },
  };
};

function newStore() {
  const changes: [string, number][] = [];
  const errors: string[] = [];
  const store = new ConfigStore('istio-system', recordingBuilder, 'auto', () => undefined, {
    onChange: (rev, gen) => changes.push([rev, gen]),
    onError: (_rev, msg) => errors.push(msg),
  });
  store.markSynced();
  return { store, changes, errors };
}

describe('configMapRole', () => {
  it.each([
    ['istio', { role: 'mesh', revision: 'default' }],
    ['istio-canary', { role: 'mesh', revision: 'canary' }],
    ['istio-sidecar-injector', { role: 'injector', revision: 'default' }],
    ['istio-sidecar-injector-1-30', { role: 'injector', revision: '1-30' }],
    ['kube-root-ca.crt', undefined],
  ])('%s', (name, want) => expect(configMapRole(name)).toEqual(want));
});

describe('ConfigStore', () => {
  it('serves a revision once its injector ConfigMap exists, with mesh defaults before the mesh ConfigMap', () => {
    const { store, changes } = newStore();
    expect(store.lookup('default')).toEqual({
      error: expect.stringMatching(/istio-system\/istio-sidecar-injector not found/),
    });
    store.upsertConfigMap(cm('istio', { mesh: 'td-1' }));
    expect('error' in store.lookup('default')).toBe(true);
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'hub-1' }));
    const found = store.lookup('default');
    expect('config' in found && found.config.values.global?.hub).toBe('hub-1');
    expect('config' in found && found.config.meshConfig.trustDomain).toBe('td-1');
    expect(changes).toEqual([['default', 1]]);
  });

  it('keeps revisions apart and uses istio-<rev> as the mesh of revision <rev>', () => {
    const { store } = newStore();
    store.upsertConfigMap(cm('istio', { mesh: 'td-default' }));
    store.upsertConfigMap(cm('istio-canary', { mesh: 'td-canary' }));
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'hub-default' }));
    store.upsertConfigMap(cm('istio-sidecar-injector-canary', { values: 'hub-canary' }));
    const canary = store.lookup('canary');
    expect('config' in canary && canary.config).toMatchObject({
      revision: 'canary',
      meshConfig: { trustDomain: 'td-canary' },
    });
    expect(store.revisionNames()).toEqual(['canary', 'default']);
  });

  it('applies a change to the next lookup and bumps the generation only when data changed', () => {
    const { store } = newStore();
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'hub-1' }));
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'hub-1' }));
    expect(store.generation()).toBe(1);
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'hub-2' }));
    expect(store.generation()).toBe(2);
    const found = store.lookup('default');
    expect('config' in found && found.config.values.global?.hub).toBe('hub-2');
  });

  it('keeps the last good configuration when a change does not parse', () => {
    const { store, errors } = newStore();
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'hub-1' }));
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'broken' }));
    expect(errors).toEqual(['cannot parse injector values (JSON)']);
    const found = store.lookup('default');
    expect('config' in found && found.config.values.global?.hub).toBe('hub-1');
  });

  it('reports the parse error for a revision that never had a good configuration', () => {
    const { store } = newStore();
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'broken' }));
    expect(store.lookup('default')).toEqual({ error: expect.stringMatching(/no usable .*cannot parse/) });
  });

  it('drops a revision when its injector ConfigMap is deleted', () => {
    const { store } = newStore();
    const injector = cm('istio-sidecar-injector-canary', { values: 'h' });
    store.upsertConfigMap(injector);
    store.deleteConfigMap(injector);
    expect('error' in store.lookup('canary')).toBe(true);
    expect(store.generation()).toBe(2);
  });

  it('ignores other namespaces and unrelated ConfigMaps', () => {
    const { store } = newStore();
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'h' }, 'default'));
    store.upsertConfigMap(cm('kube-root-ca.crt', { 'ca.crt': 'x' }));
    store.upsertConfigMap(cm('istio-ca-root-cert', { 'root-cert.pem': 'x' }));
    expect(store.generation()).toBe(0);
  });

  it('adds the current node versions to every lookup', () => {
    const { store } = newStore();
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'h' }));
    store.setNodeVersions(['v1.34.1', 'v1.32.0']);
    const found = store.lookup('default');
    expect('config' in found && found.config.nodeKubeletVersions).toEqual(['v1.32.0', 'v1.34.1']);
  });

  it('hands out the same config object until the config or the node version set changes', () => {
    const { store } = newStore();
    store.upsertConfigMap(cm('istio-sidecar-injector', { values: 'h' }));
    store.setNodeVersions(['v1.34.1']);
    const get = () => {
      const found = store.lookup('default');
      if (!('config' in found)) throw new Error(found.error);
      return found.config;
    };
    const first = get();
    expect(get()).toBe(first);
    store.setNodeVersions(['v1.34.1']);
    expect(get()).toBe(first);
    store.setNodeVersions(['v1.34.1', 'v1.35.0']);
    expect(get()).not.toBe(first);
  });

  it('says the configuration is not loaded before the initial sync', () => {
    const store = new ConfigStore('istio-system', recordingBuilder, 'auto');
    expect(store.ready()).toBe(false);
    expect(store.lookup('default')).toEqual({ error: 'sidecar injector configuration not loaded yet' });
  });
});

describe('buildFromConfigMaps', () => {
  it('reads values JSON, injector config YAML and mesh YAML', () => {
    const cfg = buildFromConfigMaps({
      revision: 'canary',
      injector: cm('istio-sidecar-injector-canary', {
        values: JSON.stringify({ global: { hub: 'example.com/istio', tag: '1.30.3' } }),
        config: 'policy: disabled\n',
      }),
      mesh: cm('istio-canary', { mesh: 'trustDomain: example.org\n' }),
      nativeSidecars: 'disabled',
    });
    expect(cfg).toMatchObject({
      revision: 'canary',
      nativeSidecars: 'disabled',
      meshConfig: { trustDomain: 'example.org' },
    });
    expect(cfg.values.global).toMatchObject({
      hub: 'example.com/istio',
      tag: '1.30.3',
      proxy: { autoInject: 'disabled' },
    });
  });

  it('refuses an injector ConfigMap without values', () => {
    expect(() =>
      buildFromConfigMaps({
        revision: 'default',
        injector: cm('istio-sidecar-injector', {}),
        nativeSidecars: 'auto',
      }),
    ).toThrow(/no "values" key/);
  });
});
