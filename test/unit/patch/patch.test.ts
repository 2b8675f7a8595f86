import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { applyPatch, type Operation } from 'fast-json-patch';
import { createPatch, diffValues, escapePointer, jsonEqual } from '../../../inject/patch';

// Applies a patch the way the API server does, on a copy, validating every operation.
function apply<T>(doc: T, ops: Operation[]): T {
  return applyPatch(structuredClone(doc), ops, true, false).newDocument;
}

const key = fc.string({ maxLength: 4 }).filter((k) => k !== '__proto__');
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.boolean(), fc.integer(), fc.string({ maxLength: 4 }), fc.constant(null)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    // Lists of named objects, the shape matched by name.
    fc.uniqueArray(
      fc.record({
        name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
        v: fc.oneof(fc.integer({ max: 3 }), tie('value')),
      }),
      { selector: (e) => e.name, maxLength: 5 },
    ),
  ),
})).value;

const container = (name: string, env: V1EnvVar[] = []): V1Container => ({ name, image: `${name}:1`, env });

function pod(containers: V1Container[], annotations: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', annotations, labels: { app: 'p' } },
    spec: { containers, volumes: [{ name: 'data', emptyDir: {} }] },
  };
}

describe('createPatch', () => {
  it('property: applying the patch to the original yields exactly the target', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(apply({ root: a }, diffValues({ root: a }, { root: b }))).toEqual({ root: b });
      }),
      { numRuns: 500 },
    );
  });

  it('property: inputs are not mutated', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        const [ca, cb] = [structuredClone(a), structuredClone(b)];
        const ops = diffValues({ root: a }, { root: b });
        apply({ root: a }, ops);
        expect(a).toEqual(ca);
        expect(b).toEqual(cb);
      }),
    );
  });

  it('property: realistic injections (insert, append, remove, edit, reorder) round-trip', () => {
    const names = fc.uniqueArray(fc.constantFrom('app', 'web', 'db', 'cache', 'log', 'x'), { minLength: 1 });
    const edit = fc.record({
      sidecarAt: fc.nat(),
      initAt: fc.nat(),
      drop: fc.boolean(),
      swap: fc.boolean(),
      envValue: fc.string({ maxLength: 3 }),
    });
    fc.assert(
      fc.property(names, edit, (cs, e) => {
        const original = pod(
          cs.map((n) =>
            container(n, [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ]),
          ),
        );
        const injected = structuredClone(original);
        const list = injected.spec!.containers;
        if (e.drop && list.length > 1) list.splice(0, 1);
        if (e.swap && list.length > 1) [list[0], list[1]] = [list[1], list[0]];
        list[0].env!.splice(1, 0, { name: 'INSERTED', value: e.envValue });
        list.splice(e.sidecarAt % (list.length + 1), 0, container('istio-proxy'));
        injected.spec!.initContainers = [container('istio-init')];
        injected.spec!.volumes!.splice(e.initAt % 2, 0, {
          name: 'istio-envoy',
          emptyDir: { medium: 'Memory' },
        });
        injected.metadata!.annotations!['sidecar.istio.io/status'] = '{"containers":["istio-proxy"]}';
        expect(apply(original, createPatch(original, injected))).toEqual(injected);
      }),
    );
  });

  it('inserts a sidecar into a big pod with a handful of operations', () => {
    const env: V1EnvVar[] = Array.from({ length: 1000 }, (_, i) => ({ name: `VAR_${i}`, value: String(i) }));
    // 100 containers, the one the probers env lands in carrying 1,000 env vars.
    const containers = Array.from({ length: 100 }, (_, i) =>
      container(`c${i}`, i === 50 ? env : env.slice(0, 10).map((e) => ({ ...e }))),
    );
    const original = pod(containers);
    const injected = structuredClone(original);
    injected.spec!.containers.push(container('istio-proxy', env.slice(0, 10)));
    injected.spec!.containers.splice(0, 0, container('first'));
    injected.spec!.containers[51].env!.splice(500, 0, { name: 'ISTIO_KUBE_APP_PROBERS', value: '{}' });
    injected.metadata!.annotations!['sidecar.istio.io/status'] = '{}';
    injected.metadata!.labels!['security.istio.io/tlsMode'] = 'istio';
    const ops = createPatch(original, injected);
    expect(ops).toEqual([
      { op: 'add', path: '/metadata/annotations/sidecar.istio.io~1status', value: '{}' },
      { op: 'add', path: '/metadata/labels/security.istio.io~1tlsMode', value: 'istio' },
      { op: 'add', path: '/spec/containers/0', value: container('first') },
      {
        op: 'add',
        path: '/spec/containers/51/env/500',
        value: { name: 'ISTIO_KUBE_APP_PROBERS', value: '{}' },
      },
      { op: 'add', path: '/spec/containers/101', value: injected.spec!.containers[101] },
    ]);
    expect(apply(original, ops)).toEqual(injected);
  });

  it('edits a matched element in place instead of replacing the list', () => {
    const original = pod([container('app', [{ name: 'A', value: '1' }])]);
    const injected = structuredClone(original);
    injected.spec!.containers[0].env![0].value = '2';
    expect(createPatch(original, injected)).toEqual([
      { op: 'replace', path: '/spec/containers/0/env/0/value', value: '2' },
    ]);
  });

  it('removes what the injected pod no longer has, from the end first', () => {
    const original = pod([container('a'), container('b'), container('c')]);
    const injected = pod([container('b')]);
    expect(createPatch(original, injected)).toEqual([
      { op: 'remove', path: '/spec/containers/2' },
      { op: 'remove', path: '/spec/containers/0' },
    ]);
  });

  it('moves a reordered element with one remove and one add', () => {
    const original = pod([container('a'), container('b'), container('c')]);
    const injected = pod([container('c'), container('a'), container('b')]);
    const ops = createPatch(original, injected);
    expect(ops).toHaveLength(2);
    expect(apply(original, ops)).toEqual(injected);
  });

  it('pairs lists with the same names in the same order index by index (an unchanged copy costs no op)', () => {
    const env = Array.from({ length: 1000 }, (_, i) => ({ name: `V${i}`, value: String(i) }));
    const original = pod([container('app', env)]);
    const copy = structuredClone(original);
    expect(createPatch(original, copy)).toEqual([]);
    copy.spec!.containers[0].env![700].value = 'edited';
    expect(createPatch(original, copy)).toEqual([
      { op: 'replace', path: '/spec/containers/0/env/700/value', value: 'edited' },
    ]);
  });

  it('property: same names in the same order give exactly the element-wise patches, in order', () => {
    const element = fc.record({ name: fc.constantFrom('a', 'b', 'c'), v: json });
    fc.assert(
      fc.property(fc.array(fc.tuple(element, json), { maxLength: 6 }), (pairs) => {
        const a = pairs.map(([e]) => e);
        const b = pairs.map(([e, v]) => ({ name: e.name, v }));
        const ops = diffValues({ l: a }, { l: b });
        const elementWise = a.flatMap((x, i) =>
          diffValues(x, b[i]).map((op) => ({ ...op, path: `/l/${i}${op.path}` })),
        );
        expect(ops).toEqual(elementWise);
        expect(apply({ l: a }, ops)).toEqual({ l: b });
      }),
    );
  });

  it('diffs unnamed lists by common prefix and suffix', () => {
    const ops = diffValues({ args: ['a', 'b', 'c'] }, { args: ['a', 'x', 'b', 'c'] });
    expect(ops).toEqual([{ op: 'add', path: '/args/1', value: 'x' }]);
  });

  it('puts the injected pod values into the patch without copying them, and mutates neither pod', () => {
    // Zero-copy is the contract (the webhook serialises the patch at once; copies were a third of the
    // engine's allocations): consumers that mutate operation values must clone them first.
    const original = pod([]);
    const injected = pod([container('istio-proxy')]);
    const before = JSON.stringify([original, injected]);
    const ops = createPatch(original, injected);
    const add = ops.find((o) => o.op === 'add');
    expect(add && 'value' in add ? add.value : undefined).toBe(injected.spec!.containers[0]);
    expect(JSON.stringify([original, injected])).toBe(before);
  });

  it('treats undefined fields as absent', () => {
    const a = { metadata: { name: 'x', namespace: undefined } };
    expect(diffValues(a, { metadata: { name: 'x' } })).toEqual([]);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });

  it('escapes JSON pointer tokens', () => {
    expect(escapePointer('a/b~c')).toBe('a~1b~0c');
    expect(diffValues({}, { 'x~/y': 1 })).toEqual([{ op: 'add', path: '/x~0~1y', value: 1 }]);
  });
});
