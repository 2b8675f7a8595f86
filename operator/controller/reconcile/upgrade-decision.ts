// Which in-place version changes of one IstioOperator Istio supports: a patch change within a minor, or one
// minor upward. Skipping minors, a downgrade across minors, or a major change is refused with what to do
// instead (upgrade one minor at a time, or install the other version as a new revision and move workloads
// to it). Pure.
import { parseIstioVersion } from '../../../release/version';

export type UpgradeDecision = { allowed: true } | { allowed: false; message: string };

/**
 * `from` is the version installed (status.meshwright.version), `to` the one the spec asks for. Unknown or
 * unparsable versions are allowed: there is nothing to judge (a first install, a custom tag).
 */
export function upgradeDecision(from: string | undefined, to: string | undefined): UpgradeDecision {
  const a = parseIstioVersion(from);
  const b = parseIstioVersion(to);
  if (!a || !b || from === undefined || to === undefined) return { allowed: true };
  const minor = (v: { major: number; minor: number }) => `${v.major}.${v.minor}`;
  const newRevision = `install ${to} as a new revision (another IstioOperator with spec.revision) and move workloads to it`;
  const keep = `or set spec.tag back to ${from}`;
  if (a.major !== b.major)
    return {
      allowed: false,
      message: `in-place change from Istio ${from} to ${to} crosses a major version: ${newRevision}, ${keep}`,
    };
  if (b.minor === a.minor || b.minor === a.minor + 1) return { allowed: true };
  if (b.minor > a.minor) {
    const steps: string[] = [];
    for (let m = a.minor + 1; m < b.minor; m++) steps.push(`${a.major}.${m}`);
    return {
      allowed: false,
      message:
        `in-place upgrade from Istio ${from} to ${to} skips ${steps.join(', ')}: Istio upgrades one minor ` +
        `version at a time, so upgrade ${minor(a)} -> ${steps[0]} first (spec.tag: a ${steps[0]} release), ` +
        `or ${newRevision}; ${keep}`,
    };
  }
  return {
    allowed: false,
    message:
      `in-place downgrade from Istio ${from} to ${to} (${minor(a)} -> ${minor(b)}) is not supported: ` +
      `${newRevision}, ${keep}`,
  };
}
