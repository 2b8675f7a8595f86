// The helm process adapter and the render cache: helm's own errors come back with its stderr, a missing
// binary is named, a hung helm is killed at the timeout, AbortSignal cancels, and equal inputs render once.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HelmError,
  type ChartRenderer,
  type TemplateRequest,
} from '../../../../operator/render/helm/chart-renderer';
import {
  HelmProcessRenderer,
  helmBinary,
  splitRendered,
} from '../../../../operator/render/helm/helm-process';
import { RenderCache } from '../../../../operator/render/charts/render-cache';
import { stableJson } from '../../../../lib/stable-json';
import { helm, referenceRelease } from './parity-helpers';

jest.setTimeout(120_000);

const req = (chartDir: string, values = {}): TemplateRequest => ({
  chartDir,
  releaseName: 'istio',
  namespace: 'istio-system',
  values,
  kubeVersion: '1.32.0',
});

function fakeChart(template: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-chart-'));
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: fake\nversion: 0.1.0\n');
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates', 'a.yaml'), template);
  return dir;
}

describe('HelmProcessRenderer', () => {
  it('renders with the release name, namespace, kube version and values given', async () => {
    const chart = fakeChart(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Values.x }}\n  namespace: {{ .Release.Namespace }}\ndata:\n  kube: "{{ .Capabilities.KubeVersion.Version }}"\n  upgrade: "{{ .Release.IsUpgrade }}"\n',
    );
    const docs = await new HelmProcessRenderer({ binary: helm() }).template(req(chart, { x: 'y' }));
    expect(docs).toEqual([
      {
        source: 'fake/templates/a.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'istio-y', namespace: 'istio-system' },
          data: { kube: 'v1.32.0', upgrade: 'false' },
        },
      },
    ]);
  });

  it("carries helm's stderr naming the template on a failing chart", async () => {
    const chart = fakeChart('{{ fail "values.x is required" }}\n');
    const err = await new HelmProcessRenderer({ binary: helm() })
      .template(req(chart))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelmError);
    expect((err as HelmError).message).toContain('values.x is required');
    expect((err as HelmError).stderr).toContain('a.yaml');
  });

  it('names a missing binary', async () => {
    const err = await new HelmProcessRenderer({ binary: '/nonexistent/helm' })
      .template(req(referenceRelease('1.30.3').manifestsDir))
      .catch((e: unknown) => e);
    expect(String(err)).toContain('/nonexistent/helm not found');
  });

  it('kills a helm that hangs at the timeout, and honours AbortSignal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-hang-'));
    const slow = join(dir, 'helm');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    const started = Date.now();
    const err = await new HelmProcessRenderer({ binary: slow, timeoutMs: 300 })
      .template(req(dir))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelmError);
    expect(String(err)).toMatch(/killed by SIGTERM/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const ac = new AbortController();
    const p = new HelmProcessRenderer({ binary: slow }).template(req(dir), { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('takes MESHWRIGHT_HELM, else helm on PATH', () => {
    expect(helmBinary({ MESHWRIGHT_HELM: '/opt/helm' })).toBe('/opt/helm');
    expect(helmBinary({})).toBe('helm');
  });

  it('keeps the template of each document and drops empty ones', () => {
    const out =
      '---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\n---\nkind: B\n';
    expect(splitRendered(out, 'c')).toEqual([
      { source: 'c/templates/a.yaml', object: { kind: 'A' } },
      { source: 'c/templates/b.yaml', object: { kind: 'B' } },
    ]);
  });

  it('parses as the core schema (timestamps and octal-looking text stay what YAML 1.2 makes them) and names the template of bad output', () => {
    const out =
      '---\n# Source: c/templates/a.yaml\nkind: A\nat: 2026-01-01T00:00:00Z\nmode: 0755\non: yes\nn: ~\n';
    expect(splitRendered(out, 'c')).toEqual([
      {
        source: 'c/templates/a.yaml',
        object: { kind: 'A', at: '2026-01-01T00:00:00Z', mode: 755, on: 'yes', n: null },
      },
    ]);
    const bad = '---\n# Source: c/templates/bad.yaml\nkind: A\nkind: B\n';
    expect(() => splitRendered(bad, 'c')).toThrow(/helm output of c\/templates\/bad\.yaml: .*duplicate/i);
  });
});

describe('RenderCache', () => {
  it('renders equal inputs (any key order) once per release digest', async () => {
    let calls = 0;
    const counting: ChartRenderer = {
      template: () => {
        calls++;
        return Promise.resolve([]);
      },
    };
    const cache = new RenderCache(counting);
    const release = referenceRelease('1.30.3');
    await cache.render({ spec: { profile: 'minimal', hub: 'h' } }, release);
    const first = calls;
    expect(first).toBeGreaterThan(0);
    await cache.render({ spec: { hub: 'h', profile: 'minimal' } }, release);
    expect(calls).toBe(first);
    await cache.render({ spec: { profile: 'minimal', hub: 'h' } }, { ...release, digest: 'sha256:other' });
    expect(calls).toBe(2 * first);
    expect(stableJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
