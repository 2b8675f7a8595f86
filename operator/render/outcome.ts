// Adapter for the reconcile controller: an IstioOperator as read from the apiserver (unknown shape) to a
// render outcome that never throws, telling invalid specs (the user must fix the CR) from render failures.
import { ProfileError } from '../api/profiles';
import { parseIstioOperator, ValidationError } from '../api/validate';
import { SetPathError } from '../../lib/istio/setpath';
import { render } from './index';
import { OverlayError } from './overlays';
import type { RenderedManifest, RenderInputs } from './types';

export type RenderResult =
  | { ok: true; desired: RenderedManifest }
  | { ok: false; reason: 'InvalidSpec' | 'RenderFailed'; message: string };

export function renderOutcome(iop: unknown, inputs: RenderInputs): RenderResult {
  try {
    return { ok: true, desired: render(parseIstioOperator(iop), inputs) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const invalid =
      err instanceof ValidationError ||
      err instanceof ProfileError ||
      err instanceof SetPathError ||
      err instanceof OverlayError;
    return { ok: false, reason: invalid ? 'InvalidSpec' : 'RenderFailed', message };
  }
}
