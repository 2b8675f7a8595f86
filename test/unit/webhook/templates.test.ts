// The ConfigMap's templates reach the engine: parsed from `config`, compiled when the ConfigMap loads,
// broken ones reported (store, /readyz body) and pods that select them rejected with their name.
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { buildFromConfigMaps } from '../../../webhook/config/configmaps';
import { ConfigStore } from '../../../webhook/config/store';
import { injectorTemplates } from '../../../webhook/config/templates';
import { injectPod } from '../../../inject';
import type { TemplateProblem } from '../../../inject/templates';
import { buildProbeApp } from '../../../webhook/server/probes';

const SIDECAR = [
  'metadata:',
  '  annotations:',
  '    edited.example.com/by: {{ .DeploymentMeta.Name | quote }}',
  'spec:',
  '  containers:',
  '  - name: istio-proxy',
  '    image: {{ .ProxyImage | quote }}',
  '    env:',
  '    - name: FROM_TEMPLATE',
  '      value: {{ .Values.global.hub }}',
  '',
].join('\n');

function injector(templates: Record<string, string>, extra: Record<string, unknown> = {}): V1ConfigMap {
  return {
    metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' },
    data: {
      values: JSON.stringify({ global: { hub: 'hub.example.com' } }),
      config: stringify({ policy: 'enabled', defaultTemplates: ['sidecar'], templates, ...extra }),
    },
  };
}

const pod = (annotations: Record<string, string> = {}): V1Pod => ({
  metadata: { name: 'web-1', namespace: 'ns', annotations },
  spec: { containers: [{ name: 'web', image: 'web' }] },
});

describe('injectorTemplates', () => {
  it('reads the templates map of the config key, absent when there is none', () => {
    expect(injectorTemplates(stringify({ templates: { a: 'x', b: 'y' } }))).toEqual({ a: 'x', b: 'y' });
    expect(injectorTemplates(stringify({ policy: 'enabled' }))).toBeUndefined();
    expect(injectorTemplates(undefined)).toBeUndefined();
  });

  it('names the field that has the wrong type', () => {
    expect(() => injectorTemplates('templates: [a]')).toThrow(/"templates" must be a map/);
    expect(() => injectorTemplates('templates:\n  sidecar: 3\n')).toThrow(
      /"templates.sidecar" must be a string/,
    );
  });
});

describe('templates from the ConfigMap', () => {
  const build = (templates: Record<string, string>, extra?: Record<string, unknown>) =>
    buildFromConfigMaps({
      revision: 'default',
      injector: injector(templates, extra),
      nativeSidecars: 'disabled',
    });

  it('injects an edited sidecar template as written', () => {
    const o = injectPod({ pod: pod(), namespace: 'ns', admission: true }, build({ sidecar: SIDECAR }));
    if (o.kind !== 'injected') throw new Error(JSON.stringify(o));
    expect(o.pod.metadata?.annotations?.['edited.example.com/by']).toBe('web-1');
    const proxy = o.pod.spec?.containers.find((c) => c.name === 'istio-proxy');
    expect(proxy?.env).toEqual([{ name: 'FROM_TEMPLATE', value: 'hub.example.com' }]);
    // Nothing the template did not write: no init container, no istio volumes.
    expect(o.pod.spec?.initContainers).toBeUndefined();
    expect(o.pod.spec?.volumes).toBeUndefined();
  });

  it('selects a named template with inject.istio.io/templates', () => {
    const extra = 'metadata:\n  labels:\n    extra: "yes"\n';
    const cfg = build({ sidecar: SIDECAR, extra });
    const o = injectPod(
      { pod: pod({ 'inject.istio.io/templates': 'sidecar,extra' }), namespace: 'ns', admission: true },
      cfg,
    );
    if (o.kind !== 'injected') throw new Error(JSON.stringify(o));
    expect(o.pod.metadata?.labels?.extra).toBe('yes');
    expect(o.pod.metadata?.annotations?.['edited.example.com/by']).toBe('web-1');
  });

  it('expands aliases from the config to their templates', () => {
    const extra = 'metadata:\n  labels:\n    extra: "yes"\n';
    const cfg = build({ sidecar: SIDECAR, extra }, { aliases: { both: ['sidecar', 'extra'] } });
    expect(cfg.templateAliases).toEqual({ both: ['sidecar', 'extra'] });
    const o = injectPod(
      { pod: pod({ 'inject.istio.io/templates': 'both' }), namespace: 'ns', admission: true },
      cfg,
    );
    if (o.kind !== 'injected') throw new Error(JSON.stringify(o));
    expect(o.pod.metadata?.labels?.extra).toBe('yes');
    expect(o.pod.metadata?.annotations?.['edited.example.com/by']).toBe('web-1');
    expect(() => build({ sidecar: SIDECAR }, { aliases: { both: 'sidecar' } })).toThrow(
      /"aliases.both" must be a list of template names/,
    );
  });

  it('knows only the ConfigMap templates: a missing one rejects the pod naming it', () => {
    const cfg = build({ sidecar: SIDECAR });
    const o = injectPod(
      { pod: pod({ 'inject.istio.io/templates': 'gateway' }), namespace: 'ns', admission: true },
      cfg,
    );
    expect(o).toEqual({ kind: 'rejected', message: 'requested template "gateway" not found; have sidecar' });
  });

  it('rejects a pod that selects a template that cannot be compiled, naming template and construct', () => {
    const cfg = build({ sidecar: SIDECAR, broken: '{{ frobnicate . }}' });
    const o = injectPod(
      { pod: pod({ 'inject.istio.io/templates': 'broken' }), namespace: 'ns', admission: true },
      cfg,
    );
    expect(o).toEqual({
      kind: 'rejected',
      message: expect.stringMatching(/template "broken" cannot be used: .*function "frobnicate" not defined/),
    });
    // The other templates keep working.
    expect(injectPod({ pod: pod(), namespace: 'ns', admission: true }, cfg).kind).toBe('injected');
  });
});

describe('load-time reporting', () => {
  it('compiles the templates when the ConfigMap loads and reports the broken ones by revision', () => {
    const reported: [string, TemplateProblem[]][] = [];
    const store = new ConfigStore('istio-system', buildFromConfigMaps, 'disabled', () => undefined, {
      onTemplateProblems: (revision, problems) => reported.push([revision, problems]),
    });
    store.markSynced();
    store.upsertConfigMap(injector({ sidecar: SIDECAR, broken: '{{ if .Spec }}never closed' }));
    expect(reported).toEqual([
      [
        'default',
        [{ template: 'broken', error: expect.stringMatching(/unexpected EOF|missing \{\{end\}\}/) }],
      ],
    ]);
    expect(store.templateProblems()).toEqual([
      { revision: 'default', template: 'broken', error: expect.any(String) },
    ]);
    // Fixed in the next version of the ConfigMap: the report clears.
    store.upsertConfigMap(injector({ sidecar: SIDECAR, broken: '{{ if .Spec }}closed{{ end }}' }));
    expect(reported[1]).toEqual(['default', []]);
    expect(store.templateProblems()).toEqual([]);
  });

  it('shows template problems in the /readyz body without making the webhook unready', async () => {
    const app = buildProbeApp({
      health: {
        notReadyReason: () => undefined,
        details: () => ['template error: revision "default" template "broken": function "x" not defined'],
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      'ok\ntemplate error: revision "default" template "broken": function "x" not defined',
    );
    await app.close();
  });
});
