// The fast path's digest table against the stock templates of both releases, rendered by the pinned
// Helm from ../shared/reference: every stock template with a builder is in the table under its own
// kind and release, and the table holds nothing else.
import { STOCK_DIGESTS, stockTemplate, templateDigest } from '../../../../inject/templates/stock';
import { stockInjectorConfigMap, VERSIONS } from './stock-templates';

const WITH_BUILDERS = ['sidecar', 'gateway', 'grpc-simple', 'grpc-agent'];

describe('stock template digests', () => {
  it.each(VERSIONS)('istio %s: each template with a builder is recognised as itself', (version) => {
    const { templates } = stockInjectorConfigMap(version);
    for (const kind of WITH_BUILDERS) {
      const text = templates[kind];
      expect(typeof text).toBe('string');
      const entry = stockTemplate(text);
      expect({ kind, entry }).toEqual({ kind, entry: expect.objectContaining({ kind }) });
      expect(entry?.version.split(' ')).toContain(version);
    }
    // Templates without a builder (waypoint, kube-gateway, ...) always run on the interpreter.
    for (const [name, text] of Object.entries(templates)) {
      if (!WITH_BUILDERS.includes(name))
        expect({ name, entry: stockTemplate(text) }).toEqual({ name, entry: undefined });
    }
  });

  it('holds only digests of those templates', () => {
    const all = new Set<string>();
    for (const v of VERSIONS) {
      const { templates } = stockInjectorConfigMap(v);
      for (const kind of WITH_BUILDERS) all.add(templateDigest(templates[kind]));
    }
    expect(Object.keys(STOCK_DIGESTS).sort()).toEqual([...all].sort());
  });

  it('does not recognise an edited text', () => {
    const { templates } = stockInjectorConfigMap('1.30.3');
    expect(stockTemplate(`${templates.sidecar} `)).toBeUndefined();
    expect(stockTemplate(templates.sidecar.replace('istio-proxy', 'istio-proxy2'))).toBeUndefined();
  });
});
