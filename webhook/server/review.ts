// Turns one decoded admission request into the answer: the decision logic of the webhook, pure so it
// is unit-tested without HTTP. The engine is injected (`Injector`), the configuration is looked up.
import type { V1Namespace } from '@kubernetes/client-node';
import type { InjectionConfig, Injector } from '../../inject/api';
import {
  type AdmissionRequest,
  type AdmissionReviewResponse,
  allow,
  allowWithPatch,
  deny,
  isPodCreate,
  podFromRequest,
} from './admission';
import type { InjectTarget } from './paths';
import { applyPathOverrides } from './paths';
import { errorMessage } from '../../lib/errors';

/** `allowed`: not a pod CREATE (nothing to decide); the others are injection outcomes. */
export type Decision = 'injected' | 'skipped' | 'rejected' | 'error' | 'allowed';

export type ConfigLookup = { config: InjectionConfig } | { error: string };

/** Where the webhook's configuration comes from: static files or the live cluster (webhook/config). */
export interface ConfigSource {
  /** The injection config of a revision ('default' for the unrevisioned control plane). */
  lookup(revision: string): ConfigLookup;
  /** The namespace object (labels, annotations) if known. */
  namespace(name: string): V1Namespace | undefined;
  /** True once the initial configuration is loaded (readiness). */
  ready(): boolean;
}

export interface ReviewDeps {
  injector: Injector;
  source: ConfigSource;
  /** The webhook's own namespace: never injected, so the webhook cannot block its own pods. */
  ownNamespace?: string;
}

export interface ReviewResult {
  response: AdmissionReviewResponse;
  decision: Decision;
  /** Why a pod was skipped, rejected or failed (for the log; never contains the body). */
  reason?: string;
  namespace: string;
  /** Pod name, or `generateName` + `*` when the controller lets the apiserver name it. */
  name: string;
}

/** Decides one admission request. Never throws: an engine failure becomes an `error` decision. */
export function reviewRequest(req: AdmissionRequest, target: InjectTarget, deps: ReviewDeps): ReviewResult {
  const base = { namespace: req.namespace ?? '', name: req.name ?? '' };
  if (!isPodCreate(req)) return { ...base, decision: 'allowed', response: allow(req.uid) };

  const narrowed = podFromRequest(req);
  if ('error' in narrowed) {
    return {
      ...base,
      decision: 'error',
      reason: narrowed.error,
      response: deny(req.uid, 400, narrowed.error, 'BadRequest'),
    };
  }
  const pod = narrowed.pod;
  const namespace = req.namespace || pod.metadata?.namespace || '';
  const name = pod.metadata?.name || (pod.metadata?.generateName ? `${pod.metadata.generateName}*` : '');
  const who = { namespace, name };

  if (deps.ownNamespace && namespace === deps.ownNamespace) {
    const reason = `namespace ${namespace} is the webhook's own namespace`;
    return { ...who, decision: 'skipped', reason, response: allow(req.uid) };
  }

  const found = deps.source.lookup(target.revision);
  if ('error' in found) {
    // As with an unreachable istiod under failurePolicy Fail: a pod that asked for a revision nobody
    // can inject is refused rather than started without its sidecar.
    return {
      ...who,
      decision: 'error',
      reason: found.error,
      response: deny(req.uid, 503, found.error, 'ServiceUnavailable'),
    };
  }
  const cfg = applyPathOverrides(found.config, target);

  let outcome;
  try {
    outcome = deps.injector(
      { pod, namespace, namespaceObject: deps.source.namespace(namespace), admission: true },
      cfg,
    );
  } catch (err) {
    const reason = `injection failed: ${errorMessage(err)}`;
    return { ...who, decision: 'error', reason, response: deny(req.uid, 500, reason, 'InternalError') };
  }
  switch (outcome.kind) {
    case 'injected':
      return { ...who, decision: 'injected', response: allowWithPatch(req.uid, outcome.patch) };
    case 'skipped':
      return { ...who, decision: 'skipped', reason: outcome.reason, response: allow(req.uid) };
    case 'rejected':
      return {
        ...who,
        decision: 'rejected',
        reason: outcome.message,
        response: deny(req.uid, 400, outcome.message, 'BadRequest'),
      };
  }
}
