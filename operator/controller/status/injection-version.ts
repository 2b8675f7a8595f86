// status.meshwright.injection: how the webhook injects the revision's pods when the Istio release this
// IstioOperator installs is not one the injector knows exactly (a newer 1.32.x, an older line): as the
// nearest known version, which the status says. The operator stamps the release version on the injector
// ConfigMap it renders (render/charts/controller-outcome.ts), and the webhook resolves that same label with
// the same function (inject/versions.ts), so both tell the same story. Pure.
import { resolveVersion } from '../../../inject/versions';

export interface InjectionVersion {
  /** The known release line whose injection behaviour the revision's pods get, e.g. '1.31'. */
  version: string;
  /** Always false: the field is only written when the release is not known exactly. */
  exact: false;
  /** Why, in a sentence (the webhook logs the same). */
  message: string;
}

/** Undefined when `version` (the release the IstioOperator installs) is injected as its own version. */
export function injectionVersionOf(version: string | undefined): InjectionVersion | undefined {
  // No version told: nothing is rendered with a version either, so there is nothing to report.
  if (version === undefined) return undefined;
  const v = resolveVersion(version);
  return v.exact ? undefined : { version: v.line, exact: false, message: v.note };
}
