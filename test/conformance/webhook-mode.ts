// Mode `webhook`: each workload's pod through the admission path; the returned JSON Patch is applied to
// the pod and the result compared with the expected output's pod template.
import type { V1Namespace } from '@kubernetes/client-node';
import { applyPatch, type Operation } from 'fast-json-patch';
import { join } from 'node:path';
import type { PlainObject } from '../../lib/istio/merge';
import type { InjectionConfig } from '../../inject/api';
import { admissionPod, templateOf, workloadsOf } from './admission-pod';
import type { Case, Suite } from './cases';
import { diffObjects, formatDifference } from './diff';
import { readDocs } from './docs';
import type { Engine } from './engine';
import { normalizeWebhookPod } from './normalize';
import { errorMessage } from '../../lib/errors';
import { checkExpectedError, fail, pass, type ModeResult } from './outcome';

export function runWebhookMode(
  engine: Engine,
  suite: Suite,
  c: Case,
  config: InjectionConfig,
  namespaces: Map<string, V1Namespace>,
  maxDiffs: number,
): ModeResult {
  const inputs = workloadsOf(readDocs(join(suite.dir, c.input)));
  const wants = c.want ? workloadsOf(readDocs(join(suite.dir, c.want))) : [];
  if (inputs.length === 0) return fail('input has no workload with a pod template');
  if (!c.expectedError && wants.length !== inputs.length) {
    return fail(`input has ${inputs.length} workloads, want has ${wants.length}`);
  }
  const problems: string[] = [];
  for (const [i, w] of inputs.entries()) {
    const prefix = inputs.length > 1 ? `workload[${i}].` : '';
    const ap = admissionPod(w);
    const sent = structuredClone(ap.pod);
    let outcome;
    try {
      outcome = engine.injectPod(
        {
          pod: sent,
          namespace: ap.namespace,
          namespaceObject: namespaces.get(ap.namespace),
          admission: true,
        },
        config,
      );
    } catch (err) {
      if (c.expectedError) return checkExpectedError(c.expectedError, errorMessage(err));
      return fail(`${prefix}injectPod threw: ${errorMessage(err)}`);
    }
    if (outcome.kind === 'rejected') {
      if (c.expectedError) return checkExpectedError(c.expectedError, outcome.message);
      return fail(`${prefix}rejected: ${outcome.message}`);
    }
    if (c.expectedError) continue;
    let patched: PlainObject = structuredClone(ap.pod) as PlainObject;
    if (outcome.kind === 'injected') {
      try {
        patched = applyPatch(patched, outcome.patch as Operation[], true, false).newDocument;
      } catch (err) {
        return fail(`${prefix}the JSON Patch does not apply: ${errorMessage(err)}`);
      }
      // The patch is what the API server applies; it must reproduce the engine's own injected pod.
      const drift = diffObjects(outcome.pod, patched, 3);
      for (const d of drift) problems.push(`${prefix}patch != injected pod: ${formatDifference(d)}`);
    }
    const got = normalizeWebhookPod(ap.strip(patched));
    const want = normalizeWebhookPod(templateOf(wants[i]));
    for (const d of diffObjects(want, got, Math.max(0, maxDiffs - problems.length))) {
      problems.push(prefix + formatDifference(d));
    }
    if (problems.length >= maxDiffs) break;
  }
  if (c.expectedError) return checkExpectedError(c.expectedError, undefined);
  return problems.length === 0 ? pass() : fail(...problems);
}
