import { renderGoTemplate, TemplateError } from '../../../inject/templates/go-template';
import { injectPod } from '../../../inject';
import { config, pod } from './fixtures';

const data = {
  Spec: { containers: [{ name: 'a' }, { name: 'b' }] },
  ObjectMeta: { annotations: { x: 'y' }, labels: {} },
  Values: { global: { hub: 'h' } },
  Revision: '',
};

describe('renderGoTemplate', () => {
  it('ranges over containers with variables and trims around dashes', () => {
    const t = 'names:\n{{- range $i, $c := .Spec.Containers }}\n- {{ $i }}={{ $c.Name }}\n{{- end }}\n';
    expect(renderGoTemplate(t, data)).toBe('names:\n- 0=a\n- 1=b\n');
  });

  it('evaluates if/else if/else, with, pipelines and functions', () => {
    expect(
      renderGoTemplate('{{ if .Revision }}r{{ else if .Values.global.hub }}h{{ else }}n{{ end }}', data),
    ).toBe('h');
    expect(renderGoTemplate('{{ with .Values.global }}{{ .hub }}{{ end }}', data)).toBe('h');
    expect(renderGoTemplate('{{ .Revision | default "default" | quote }}', data)).toBe('"default"');
    expect(renderGoTemplate('{{ index .ObjectMeta.Annotations "x" }}', data)).toBe('y');
    expect(
      renderGoTemplate('{{ len .Spec.Containers }} {{ eq .Revision "" }} {{ not .Revision }}', data),
    ).toBe('2 true true');
    expect(renderGoTemplate('{{/* comment */}}ok', data)).toBe('ok');
  });

  it('reports errors instead of guessing', () => {
    expect(() => renderGoTemplate('{{ template "x" . }}', data)).toThrow(TemplateError);
    expect(() => renderGoTemplate('{{ nosuch .Spec }}', data)).toThrow(/function "nosuch" not defined/);
    expect(() => renderGoTemplate('{{ if .Revision }}', data)).toThrow(/missing \{\{end\}\}/);
    expect(() => renderGoTemplate('{{ $nope }}', data)).toThrow(/undefined variable/);
  });
});

describe('user templates in injection', () => {
  const cfg = config([
    {
      values: {
        sidecarInjectorWebhook: {
          templates: {
            extra:
              'metadata:\n  annotations:\n    extra: "{{ .DeploymentMeta.Name }}"\nspec:\n  volumes:\n  - name: scratch\n    emptyDir: {}\n',
            broken: '{{ toYamlz . }}',
          },
        },
      },
    },
  ]);
  const annotated = (t: string) => pod({}, { name: 'web', annotations: { 'inject.istio.io/templates': t } });

  it('layers a user template after the sidecar template', () => {
    const o = injectPod({ pod: annotated('sidecar,extra'), namespace: 'ns', admission: true }, cfg);
    if (o.kind !== 'injected') throw new Error(o.kind);
    expect(o.pod.metadata?.annotations?.extra).toBe('web');
    expect(o.pod.spec?.volumes?.map((v) => v.name)).toContain('scratch');
    expect(o.pod.metadata?.annotations?.['sidecar.istio.io/status']).toContain('"scratch"');
  });

  it('rejects the pod when a user template cannot be rendered', () => {
    const o = injectPod({ pod: annotated('broken'), namespace: 'ns', admission: true }, cfg);
    expect(o).toEqual({
      kind: 'rejected',
      message: expect.stringMatching(/injection template failed: .*broken.*function "toYamlz" not defined/),
    });
  });
});
