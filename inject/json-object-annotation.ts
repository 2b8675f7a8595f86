// Annotations whose value is a JSON object of name -> value (sidecar.istio.io/userVolume(Mount), the
// Datadog env map): entries sorted by name, as upstream emits them. A value that is not a JSON object yields
// nothing here; annotation validation reports it before rendering.
export function jsonObjectEntries(raw: string | undefined): [string, unknown][] {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
  const o = parsed as Record<string, unknown>;
  return Object.keys(o)
    .sort()
    .map((name) => [name, o[name]]);
}
