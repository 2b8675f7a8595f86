// Opting out of the sidecar rollout. One key, `meshwright.io/sidecar-rollout`, as a label or an annotation
// on a Namespace or on a workload's own metadata (not its pod template: editing the template would
// restart the pods the user wants left alone). `disabled` opts out; `enabled` on a workload overrides a
// disabled namespace. Opted-out workloads stay counted as outdated; they are only never restarted.
// Pure.

export const OPT_OUT_KEY = 'meshwright.io/sidecar-rollout';

export interface ObjectMetaView {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

type Setting = { kind: 'enabled' } | { kind: 'disabled' } | { kind: 'invalid'; value: string };

/** The object's setting; the annotation wins over the label when both are set. */
function settingOf(meta: ObjectMetaView | undefined): Setting | undefined {
  const raw = meta?.annotations?.[OPT_OUT_KEY] ?? meta?.labels?.[OPT_OUT_KEY];
  if (raw === undefined) return undefined;
  const v = raw.trim().toLowerCase();
  if (v === 'disabled') return { kind: 'disabled' };
  if (v === 'enabled') return { kind: 'enabled' };
  return { kind: 'invalid', value: raw };
}

/**
 * Why a workload must not be restarted, or undefined when it may be. A value other than `disabled` or
 * `enabled` counts as an opt-out (never restart what a user meant to protect) and says so.
 */
export function optOutReason(
  workload: ObjectMetaView | undefined,
  namespace: ObjectMetaView | undefined,
): string | undefined {
  const invalid = (where: string, value: string) =>
    `invalid ${OPT_OUT_KEY} "${value}" on the ${where} (use disabled or enabled), not restarted`;
  const w = settingOf(workload);
  if (w?.kind === 'invalid') return invalid('workload', w.value);
  if (w?.kind === 'disabled') return `workload has ${OPT_OUT_KEY}=disabled`;
  if (w?.kind === 'enabled') return undefined;
  const n = settingOf(namespace);
  if (n?.kind === 'invalid') return invalid('namespace', n.value);
  if (n?.kind === 'disabled') return `namespace has ${OPT_OUT_KEY}=disabled`;
  return undefined;
}
