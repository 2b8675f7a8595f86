// metav1.MicroTime on the wire: RFC 3339 in UTC with exactly six fractional digits
// (2026-12-04T20:47:14.123000Z). The apiserver rejects a Lease whose times lack the microseconds.

/** Formats epoch milliseconds as a MicroTime (JavaScript time has no finer digits: they are zeros). */
export function formatMicroTime(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`MicroTime: ${ms} is not a time`);
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Epoch milliseconds of a MicroTime (or any RFC 3339 time); 0 when absent or unreadable. */
export function parseMicroTime(value: unknown): number {
  if (typeof value !== 'string' || value === '') return 0;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}
