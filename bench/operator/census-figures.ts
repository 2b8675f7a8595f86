// The sidecar census as the operator's own metrics tell it, per revision: cumulative counts from one
// scrape, differences between two, and when a revision's census has settled (every pod judged once, then
// a whole census that re-injected none). Pure, so the rules are unit-tested apart from a cluster.
import { counter, histogram, type Series } from '../common/prom';

export const CENSUS = 'meshwright_operator_sidecar_census';

/** Cumulative census figures of one revision ('default' for the default revision) in a scrape. */
export interface CensusCounts {
  censuses: number;
  seconds: number;
  reinjected: number;
  cached: number;
}

export function censusCounts(series: Series[], revision: string): CensusCounts {
  const h = histogram(series, `${CENSUS}_duration_seconds`, (l) => l.revision === revision);
  const pods = (source: string) =>
    counter(series, `${CENSUS}_pods_total`, (l) => l.revision === revision && l.source === source);
  return { censuses: h.count, seconds: h.sum, reinjected: pods('reinjected'), cached: pods('cached') };
}

export function censusDelta(after: CensusCounts, before: CensusCounts): CensusCounts {
  return {
    censuses: after.censuses - before.censuses,
    seconds: after.seconds - before.seconds,
    reinjected: after.reinjected - before.reinjected,
    cached: after.cached - before.cached,
  };
}

/** Mean duration of the censuses in a delta, in ms (NaN when none ran). */
export function meanCensusMs(d: CensusCounts): number {
  return d.censuses > 0 ? (d.seconds * 1000) / d.censuses : NaN;
}

/**
 * Follows one revision's census from `start` (before its pods exist) until it settles. The operator adds a
 * census's counts when it ends, so a scrape shows whole censuses; kwok's status updates give pods new
 * resourceVersions, so a pod can be re-injected more than once before its verdict stays cached.
 */
export class CensusSettle {
  /** The scrape at which every pod had been re-injected at least once since `start`. */
  judged?: CensusCounts;
  /** The scrape showing the first census after `judged` that re-injected no pod. */
  settled?: CensusCounts;
  /** Censuses after `judged` up to and including the settled one. */
  censusesAfterJudged = 0;
  private base?: CensusCounts;

  constructor(
    private readonly pods: number,
    private readonly start: CensusCounts,
  ) {}

  /** Feeds a scrape's counts; true once settled. */
  observe(now: CensusCounts): boolean {
    if (this.settled) return true;
    if (!this.judged) {
      if (now.reinjected - this.start.reinjected < this.pods) return false;
      this.judged = now;
      this.base = now;
      return false;
    }
    const base = this.base!;
    if (now.censuses === base.censuses) return false;
    this.censusesAfterJudged += now.censuses - base.censuses;
    if (now.reinjected === base.reinjected) {
      this.settled = now;
      return true;
    }
    this.base = now;
    return false;
  }
}
