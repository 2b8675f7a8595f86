// The admission path with the real engine (inject) and its default configuration.
import { applyPatch, type Operation } from 'fast-json-patch';
import type { V1Pod } from '@kubernetes/client-node';
import { buildInjectionConfig, injectPod } from '../../../inject';
import { decodeAdmissionReview } from '../../../webhook/server/admission';
import { reviewRequest } from '../../../webhook/server/review';
import { staticConfigSource } from '../../../webhook/config/static';
import { pod, review } from './fixtures';

const source = staticConfigSource(buildInjectionConfig({ overlays: [] }));

function admit(p: V1Pod) {
  const decoded = decodeAdmissionReview(review({ object: p }));
  if (!decoded.ok) throw new Error(decoded.message);
  return reviewRequest(decoded.request, { revision: 'default' }, { injector: injectPod, source });
}

describe('admission with the real engine', () => {
  it('injects istio-init and istio-proxy through a patch that applies to the pod', () => {
    const p = pod();
    const r = admit(p);
    expect(r.decision).toBe('injected');
    const patch = JSON.parse(
      Buffer.from(r.response.response.patch ?? '', 'base64').toString(),
    ) as Operation[];
    const out = applyPatch(structuredClone(p), patch, true, false).newDocument;
    const names = [...(out.spec?.initContainers ?? []), ...(out.spec?.containers ?? [])].map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['istio-init', 'istio-proxy', 'app']));
    expect(out.metadata?.annotations?.['sidecar.istio.io/status']).toBeDefined();
  });

  it('skips hostNetwork pods without a patch', () => {
    const p = pod();
    p.spec = { ...p.spec, containers: p.spec?.containers ?? [], hostNetwork: true };
    const r = admit(p);
    expect(r.decision).toBe('skipped');
    expect(r.response.response).toEqual({ uid: 'uid-1', allowed: true });
  });

  it('rejects an invalid annotation with the engine message', () => {
    const r = admit(pod({ annotations: { 'sidecar.istio.io/interceptionMode': 'SIDEWAYS' } }));
    expect(r.decision).toBe('rejected');
    expect(r.response.response.allowed).toBe(false);
    expect(r.response.response.status?.message).toMatch(/interceptionMode/);
  });
});
