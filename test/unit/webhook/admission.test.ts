import {
  allow,
  allowWithPatch,
  decodeAdmissionReview,
  deny,
  isPodCreate,
  podFromRequest,
} from '../../../webhook/server/admission';
import { review } from './fixtures';

describe('decodeAdmissionReview', () => {
  it('accepts an AdmissionReview v1 with a request', () => {
    const r = decodeAdmissionReview(review({ dryRun: true, name: 'x' }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.request).toMatchObject({
      uid: 'uid-1',
      operation: 'CREATE',
      namespace: 'shop',
      name: 'x',
      dryRun: true,
    });
    expect(r.request.kind).toEqual({ group: '', version: 'v1', kind: 'Pod' });
  });

  it.each([
    ['a non-object body', [1, 2], /JSON object/],
    ['a string body', 'hello', /JSON object/],
    [
      'a wrong apiVersion',
      { ...review(), apiVersion: 'admission.k8s.io/v1beta1' },
      /unsupported apiVersion "admission.k8s.io\/v1beta1"/,
    ],
    ['a wrong kind', { ...review(), kind: 'Pod' }, /unsupported kind "Pod"/],
    ['a missing request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /no request/],
    ['a request without uid', review({ uid: undefined }), /no uid/],
    ['a request without kind', review({ kind: 'Pod' }), /no valid kind/],
    ['a request without resource', review({ resource: undefined }), /no valid resource/],
    ['a request without operation', review({ operation: 7 }), /no operation/],
  ])('rejects %s with a clear message', (_what, body, message) => {
    const r = decodeAdmissionReview(body);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(message);
  });

  it('echoes the uid of a request it cannot accept', () => {
    const r = decodeAdmissionReview({ ...review(), apiVersion: 'v1' });
    expect(r).toMatchObject({ ok: false, uid: 'uid-1' });
  });
});

describe('isPodCreate', () => {
  const decode = (req: Record<string, unknown>) => {
    const r = decodeAdmissionReview(review(req));
    if (!r.ok) throw new Error(r.message);
    return r.request;
  };
  it('is true only for CREATE of core pods without subresource', () => {
    expect(isPodCreate(decode({}))).toBe(true);
    expect(isPodCreate(decode({ operation: 'UPDATE' }))).toBe(false);
    expect(isPodCreate(decode({ subResource: 'ephemeralcontainers' }))).toBe(false);
    expect(
      isPodCreate(
        decode({
          kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
          resource: { group: 'apps', version: 'v1', resource: 'deployments' },
        }),
      ),
    ).toBe(false);
  });
});

describe('podFromRequest', () => {
  const req = (object: unknown) => {
    const r = decodeAdmissionReview(review({ object }));
    if (!r.ok) throw new Error(r.message);
    return r.request;
  };
  it('narrows a pod', () => {
    expect(podFromRequest(req({ spec: { containers: [] } }))).toEqual({ pod: { spec: { containers: [] } } });
  });
  it.each([
    [undefined, /no object/],
    ['pod', /not a JSON object/],
    [{ kind: 'Service', spec: { containers: [] } }, /is a Service, not a Pod/],
    [{ metadata: {} }, /no spec/],
    [{ spec: {} }, /no containers/],
    [{ metadata: 'x', spec: { containers: [] } }, /metadata is not an object/],
  ])('refuses %j', (object, message) => {
    const r = podFromRequest(req(object));
    expect('error' in r && r.error).toMatch(message);
  });
});

describe('responses', () => {
  it('allow carries the uid and no patch', () => {
    expect(allow('u')).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u', allowed: true },
    });
    expect(allow('u', ['w']).response.warnings).toEqual(['w']);
  });
  it('allowWithPatch encodes the JSON patch in base64', () => {
    const patch = [{ op: 'add' as const, path: '/metadata/labels/a', value: 'ü' }];
    const r = allowWithPatch('u', patch).response;
    expect(r.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(r.patch ?? '', 'base64').toString('utf8'))).toEqual(patch);
  });
  it('deny carries code and message', () => {
    expect(deny('u', 400, 'bad', 'BadRequest').response).toEqual({
      uid: 'u',
      allowed: false,
      status: { code: 400, message: 'bad', reason: 'BadRequest' },
    });
  });
});
