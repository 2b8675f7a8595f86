// Where a candidate stands in the election, and the one sentence /readyz and the log give for it, so an
// operator that is not reconciling always says why (another holder, or an error reaching the Lease).

export type ElectionState =
  | { kind: 'starting' }
  | { kind: 'leader' }
  /** holder '' : lost a write race; the next attempt reads who won. */
  | { kind: 'standby'; holder: string }
  | { kind: 'failing'; error: string };

export function describeElection(state: ElectionState, lease: string): string {
  switch (state.kind) {
    case 'starting':
      return `waiting for leadership: first attempt on lease ${lease} pending`;
    case 'leader':
      return `leader (lease ${lease})`;
    case 'standby':
      return state.holder
        ? `waiting for leadership: lease ${lease} is held by ${state.holder}`
        : `waiting for leadership: another candidate won the last write of lease ${lease}`;
    case 'failing':
      return `waiting for leadership: cannot take lease ${lease}: ${state.error}`;
  }
}

/** Whether two states deserve a new log line (a different kind, holder or error). */
export function sameElectionState(a: ElectionState, b: ElectionState): boolean {
  return describeElection(a, '') === describeElection(b, '');
}
