// The IstioOperator `meshwright install` applies, built as istioctl builds it: the -f files merged in
// order (later wins, gateways by name), then the --set flags, then --revision. The result is validated
// as the operator would validate it (profile, components, field types), so a typo fails here, naming
// the field, before anything reaches the cluster. Pure: texts in, objects out.
import { isPlainObject } from '../lib/istio/merge';
import { UsageError } from '../lib/flags';
import { applySetFlags, mergeSpecs, resolveSpec } from '../operator/api/resolve';
import { IOP_API_VERSION, IOP_KIND, type IstioOperator, type IstioOperatorSpec } from '../operator/api/types';
import { ValidationError, validateSpec } from '../operator/api/validate';
import { readIstioOperator } from './manifest';
import { errorMessage } from '../lib/errors';

/** istioctl's name for the IstioOperator it keeps in the cluster: installed-state[-<name>][-<revision>]. */
export const INSTALLED_STATE_PREFIX = 'installed-state';

export interface InstallInput {
  files: { name: string; text: string }[];
  setFlags: readonly string[];
  revision?: string;
}

export interface InstallPlan {
  /** What is applied: the user's spec (not the profile-expanded one), so the operator resolves the profile. */
  iop: IstioOperator;
  /** Profile, then spec, then flags: what the operator will install (for the summary and validation). */
  resolved: IstioOperatorSpec;
  name: string;
  namespace: string;
  profile: string;
  revision: string;
  /** Component names as the operator reports them in status.componentStatus. */
  components: string[];
}

/** installed-state[-<metadata.name of the files>][-<revision>], as istioctl names its saved IstioOperator. */
export function installedStateName(fileName: string | undefined, revision: string): string {
  let name = INSTALLED_STATE_PREFIX;
  if (fileName) name += `-${fileName}`;
  if (revision && revision !== 'default') name += `-${revision}`;
  return name;
}

/** The namespace the control plane goes to (and the IstioOperator lives in): spec.namespace, else istioNamespace. */
export function installNamespace(resolved: IstioOperatorSpec): string {
  if (typeof resolved.namespace === 'string' && resolved.namespace !== '') return resolved.namespace;
  const g = isPlainObject(resolved.values) ? resolved.values.global : undefined;
  const ns = isPlainObject(g) ? g.istioNamespace : undefined;
  return typeof ns === 'string' && ns !== '' ? ns : 'istio-system';
}

/** Enabled components in the operator's status naming (Base, Pilot, Cni, IngressGateways, EgressGateways). */
export function enabledComponents(resolved: IstioOperatorSpec): string[] {
  const c = resolved.components ?? {};
  const on = (x: unknown): boolean => isPlainObject(x) && x.enabled === true;
  const out: string[] = [];
  if (on(c.base)) out.push('Base');
  if (on(c.pilot)) out.push('Pilot');
  if (on(c.cni)) out.push('Cni');
  if ((c.ingressGateways ?? []).some(on)) out.push('IngressGateways');
  if ((c.egressGateways ?? []).some(on)) out.push('EgressGateways');
  return out;
}

/** Builds and validates the IstioOperator; throws UsageError naming the file, flag or field at fault. */
export function buildInstallPlan(input: InstallInput): InstallPlan {
  let spec: IstioOperatorSpec = {};
  let fileName: string | undefined;
  for (const f of input.files) {
    const iop = readIstioOperator(f.text, f.name);
    spec = mergeSpecs(spec, iop.spec ?? {});
    fileName = iop.metadata?.name ?? fileName;
  }
  const setFlags = [...input.setFlags];
  if (input.revision !== undefined) setFlags.push(`revision=${input.revision}`);
  let user: IstioOperatorSpec;
  try {
    user = applySetFlags(spec, setFlags);
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
  // What is stored first (names spec.profile, a bad --set value), then what the operator will render.
  fail(validateSpec(user, true));
  const resolved = resolveSpec(user);
  fail(validateSpec(resolved, true));
  const revision = typeof user.revision === 'string' ? user.revision : '';
  const name = installedStateName(fileName, revision);
  const namespace = installNamespace(resolved);
  const iop: IstioOperator = {
    apiVersion: IOP_API_VERSION,
    kind: IOP_KIND,
    metadata: { name, namespace },
    spec: user,
  };
  return {
    iop,
    resolved,
    name,
    namespace,
    profile: resolved.profile ?? 'default',
    revision,
    components: enabledComponents(resolved),
  };
}

function fail(errors: string[]): void {
  if (errors.length > 0) throw new UsageError(new ValidationError(errors).message);
}

/** An IstioOperator already in the cluster, as the conflict check sees it. */
export interface ExistingIop {
  name: string;
  namespace: string;
  spec: IstioOperatorSpec;
}

const revisionKey = (r: unknown): string => (typeof r === 'string' && r !== 'default' ? r : '');

/**
 * Another IstioOperator that installs the same revision into the same namespace would fight this one over
 * every object (and one's uninstall would remove the other's control plane): name it instead of applying.
 */
export function conflictingIop(plan: InstallPlan, existing: readonly ExistingIop[]): string | undefined {
  const mine = revisionKey(plan.revision);
  const other = existing.find(
    (e) =>
      !(e.name === plan.name && e.namespace === plan.namespace) &&
      revisionKey(e.spec.revision) === mine &&
      installNamespace(e.spec) === plan.namespace,
  );
  if (!other) return undefined;
  return (
    `IstioOperator ${other.namespace}/${other.name} already installs revision ${mine || 'default'} into ` +
    `namespace ${plan.namespace}: two would fight over the same objects. Change that resource instead, ` +
    `delete it first, or install another revision (--revision)`
  );
}
