// AdmissionReview v1 wire format: decoding an untrusted request body into a typed review and encoding
// responses. Pure: no I/O, no logging; callers decide how to log (never the body, it may hold secrets).
import type { V1Pod } from '@kubernetes/client-node';
import type { Operation } from 'fast-json-patch';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** The fields of `AdmissionRequest` the injector needs; the rest is ignored. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  operation: string;
  namespace?: string;
  name?: string;
  dryRun?: boolean;
  /** The raw object; only narrowed to a Pod once the request is known to be a Pod CREATE. */
  object?: unknown;
}

export interface AdmissionStatus {
  code: number;
  message: string;
  reason?: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  /** base64 of the JSON patch. */
  patch?: string;
  status?: AdmissionStatus;
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: AdmissionResponse;
}

export type DecodeResult =
  | { ok: true; request: AdmissionRequest }
  /** `uid` is echoed when the body carried one, so the apiserver can still match the answer. */
  | { ok: false; uid: string; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function decodeGVK(v: unknown): GroupVersionKind | undefined {
  if (!isRecord(v) || typeof v.version !== 'string' || typeof v.kind !== 'string') return undefined;
  return { group: optionalString(v.group) ?? '', version: v.version, kind: v.kind };
}

function decodeGVR(v: unknown): GroupVersionResource | undefined {
  if (!isRecord(v) || typeof v.version !== 'string' || typeof v.resource !== 'string') return undefined;
  return { group: optionalString(v.group) ?? '', version: v.version, resource: v.resource };
}

/** Validates a parsed JSON body as an AdmissionReview v1 carrying a request. */
export function decodeAdmissionReview(body: unknown): DecodeResult {
  if (!isRecord(body)) return { ok: false, uid: '', message: 'admission review must be a JSON object' };
  const req = body.request;
  const uid = isRecord(req) && typeof req.uid === 'string' ? req.uid : '';
  const fail = (message: string): DecodeResult => ({ ok: false, uid, message });
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    return fail(`unsupported apiVersion ${JSON.stringify(body.apiVersion)}, want ${ADMISSION_API_VERSION}`);
  }
  if (body.kind !== ADMISSION_KIND) {
    return fail(`unsupported kind ${JSON.stringify(body.kind)}, want ${ADMISSION_KIND}`);
  }
  if (!isRecord(req)) return fail('admission review has no request');
  if (uid === '') return fail('admission request has no uid');
  const kind = decodeGVK(req.kind);
  if (!kind) return fail('admission request has no valid kind');
  const resource = decodeGVR(req.resource);
  if (!resource) return fail('admission request has no valid resource');
  if (typeof req.operation !== 'string') return fail('admission request has no operation');
  return {
    ok: true,
    request: {
      uid,
      kind,
      resource,
      subResource: optionalString(req.subResource),
      operation: req.operation,
      namespace: optionalString(req.namespace),
      name: optionalString(req.name),
      dryRun: req.dryRun === true,
      object: req.object,
    },
  };
}

/** True for the only requests the injector mutates: CREATE of a core/v1 Pod (not a subresource). */
export function isPodCreate(req: AdmissionRequest): boolean {
  return (
    req.operation === 'CREATE' &&
    req.kind.group === '' &&
    req.kind.kind === 'Pod' &&
    req.resource.resource === 'pods' &&
    !req.subResource
  );
}

/** Narrows `request.object` to a Pod; returns an error message when it cannot be one. */
export function podFromRequest(req: AdmissionRequest): { pod: V1Pod } | { error: string } {
  const obj = req.object;
  if (obj === undefined || obj === null) return { error: 'admission request has no object' };
  if (!isRecord(obj)) return { error: 'admission request object is not a JSON object' };
  if (obj.kind !== undefined && obj.kind !== 'Pod')
    return { error: `admission request object is a ${String(obj.kind)}, not a Pod` };
  if (!isRecord(obj.spec)) return { error: 'pod has no spec' };
  if (!Array.isArray(obj.spec.containers)) return { error: 'pod spec has no containers' };
  if (obj.metadata !== undefined && !isRecord(obj.metadata))
    return { error: 'pod metadata is not an object' };
  // The apiserver has already validated the object's schema; the structural checks above guard the engine.
  return { pod: obj as V1Pod };
}

function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

export function allow(uid: string, warnings?: string[]): AdmissionReviewResponse {
  return review(warnings && warnings.length > 0 ? { uid, allowed: true, warnings } : { uid, allowed: true });
}

export function allowWithPatch(uid: string, patch: Operation[]): AdmissionReviewResponse {
  return review({
    uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch), 'utf8').toString('base64'),
  });
}

/** A denial: `code` is an HTTP-style status the apiserver shows together with `message`. */
export function deny(uid: string, code: number, message: string, reason?: string): AdmissionReviewResponse {
  const status: AdmissionStatus = reason ? { code, message, reason } : { code, message };
  return review({ uid, allowed: false, status });
}
