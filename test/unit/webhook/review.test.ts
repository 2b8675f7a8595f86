import { decodeAdmissionReview } from '../../../webhook/server/admission';
import { reviewRequest } from '../../../webhook/server/review';
import { config, fakeInjector, injectsProxy, pod, review, staticSource } from './fixtures';

function request(req: Record<string, unknown> = {}) {
  const r = decodeAdmissionReview(review(req));
  if (!r.ok) throw new Error(r.message);
  return r.request;
}

const target = { revision: 'default' };

describe('reviewRequest', () => {
  it('injects a pod CREATE with a base64 JSON patch echoing the uid', () => {
    const injector = fakeInjector(injectsProxy);
    const r = reviewRequest(request(), target, { injector, source: staticSource() });
    expect(r.decision).toBe('injected');
    expect(r.response.response).toMatchObject({ uid: 'uid-1', allowed: true, patchType: 'JSONPatch' });
    const patch = JSON.parse(Buffer.from(r.response.response.patch ?? '', 'base64').toString());
    expect(patch).toEqual([{ op: 'add', path: '/spec/containers/-', value: { name: 'istio-proxy' } }]);
    expect(injector.calls[0].req).toMatchObject({ namespace: 'shop', admission: true });
    expect(injector.calls[0].req.namespaceObject?.metadata?.labels).toEqual({ 'istio-injection': 'enabled' });
  });

  it('allows anything but a pod CREATE without calling the engine', () => {
    const injector = fakeInjector(injectsProxy);
    const r = reviewRequest(request({ operation: 'UPDATE' }), target, { injector, source: staticSource() });
    expect(r.decision).toBe('allowed');
    expect(r.response.response).toEqual({ uid: 'uid-1', allowed: true });
    expect(injector.calls).toHaveLength(0);
  });

  it('answers a skipped pod with allowed and no patch', () => {
    const injector = fakeInjector((req) => ({ kind: 'skipped', reason: 'hostNetwork', pod: req.pod }));
    const r = reviewRequest(request(), target, { injector, source: staticSource() });
    expect(r).toMatchObject({ decision: 'skipped', reason: 'hostNetwork' });
    expect(r.response.response).toEqual({ uid: 'uid-1', allowed: true });
  });

  it('denies a rejected pod with the validation message and a 4xx code', () => {
    const injector = fakeInjector(() => ({
      kind: 'rejected',
      message: 'invalid sidecar.istio.io/proxyCPU "lots"',
    }));
    const r = reviewRequest(request(), target, { injector, source: staticSource() });
    expect(r.decision).toBe('rejected');
    expect(r.response.response.allowed).toBe(false);
    expect(r.response.response.status).toEqual({
      code: 400,
      message: 'invalid sidecar.istio.io/proxyCPU "lots"',
      reason: 'BadRequest',
    });
  });

  it('denies a pod CREATE without an object', () => {
    const r = reviewRequest(request({ object: undefined }), target, {
      injector: fakeInjector(injectsProxy),
      source: staticSource(),
    });
    expect(r.decision).toBe('error');
    expect(r.response.response.status?.message).toMatch(/no object/);
  });

  it('turns an engine exception into an error denial instead of throwing', () => {
    const injector = fakeInjector(() => {
      throw new Error('boom');
    });
    const r = reviewRequest(request(), target, { injector, source: staticSource() });
    expect(r.decision).toBe('error');
    expect(r.response.response).toMatchObject({
      allowed: false,
      status: { code: 500, message: 'injection failed: boom' },
    });
  });

  it('never injects the webhook own namespace', () => {
    const injector = fakeInjector(injectsProxy);
    const r = reviewRequest(request({ namespace: 'meshwright-system' }), target, {
      injector,
      source: staticSource(),
      ownNamespace: 'meshwright-system',
    });
    expect(r.decision).toBe('skipped');
    expect(r.response.response.patch).toBeUndefined();
    expect(injector.calls).toHaveLength(0);
  });

  it('refuses a revision it has no configuration for, naming it', () => {
    const injector = fakeInjector(injectsProxy);
    const r = reviewRequest(request(), { revision: 'canary' }, { injector, source: staticSource() });
    expect(r.decision).toBe('error');
    expect(r.response.response).toMatchObject({ allowed: false, status: { code: 503 } });
    expect(r.response.response.status?.message).toMatch(/"canary"/);
    expect(injector.calls).toHaveLength(0);
  });

  it('passes the config of the requested revision with path overrides', () => {
    const injector = fakeInjector(injectsProxy);
    const source = staticSource({ default: config(), canary: config('canary') });
    reviewRequest(request(), { revision: 'canary', network: 'n1' }, { injector, source });
    expect(injector.calls[0].cfg.revision).toBe('canary');
    expect(injector.calls[0].cfg.values.global?.network).toBe('n1');
  });

  it('uses the pod namespace and generateName when the request has none', () => {
    const p = pod({ name: undefined, generateName: 'web-7d9-', namespace: 'store' });
    const r = reviewRequest(request({ namespace: undefined, object: p }), target, {
      injector: fakeInjector(injectsProxy),
      source: staticSource(),
    });
    expect(r).toMatchObject({ namespace: 'store', name: 'web-7d9-*' });
  });
});
