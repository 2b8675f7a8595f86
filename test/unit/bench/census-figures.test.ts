import {
  CensusSettle,
  censusCounts,
  censusDelta,
  type CensusCounts,
  meanCensusMs,
} from '../../../bench/operator/census-figures';
import { parseProm } from '../../../bench/common/prom';

const METRICS = `
# HELP meshwright_operator_sidecar_census_duration_seconds Time of one sidecar census
# TYPE meshwright_operator_sidecar_census_duration_seconds histogram
meshwright_operator_sidecar_census_duration_seconds_bucket{le="1",revision="default"} 2
meshwright_operator_sidecar_census_duration_seconds_bucket{le="+Inf",revision="default"} 3
meshwright_operator_sidecar_census_duration_seconds_sum{revision="default"} 4.5
meshwright_operator_sidecar_census_duration_seconds_count{revision="default"} 3
meshwright_operator_sidecar_census_duration_seconds_bucket{le="1",revision="r1"} 1
meshwright_operator_sidecar_census_duration_seconds_bucket{le="+Inf",revision="r1"} 1
meshwright_operator_sidecar_census_duration_seconds_sum{revision="r1"} 0.25
meshwright_operator_sidecar_census_duration_seconds_count{revision="r1"} 1
meshwright_operator_sidecar_census_pods_total{revision="default",source="reinjected"} 120
meshwright_operator_sidecar_census_pods_total{revision="default",source="cached"} 80
meshwright_operator_sidecar_census_pods_total{revision="r1",source="reinjected"} 7
meshwright_operator_sidecar_census_pods_total{revision="r1",source="cached"} 0
`;

const counts = (censuses: number, reinjected: number, seconds = censuses, cached = 0): CensusCounts => ({
  censuses,
  seconds,
  reinjected,
  cached,
});

describe('censusCounts', () => {
  it("reads one revision's census histogram and pod counters, not the other's", () => {
    const series = parseProm(METRICS);
    expect(censusCounts(series, 'default')).toEqual({
      censuses: 3,
      seconds: 4.5,
      reinjected: 120,
      cached: 80,
    });
    expect(censusCounts(series, 'r1')).toEqual({ censuses: 1, seconds: 0.25, reinjected: 7, cached: 0 });
    expect(censusCounts(series, 'r2')).toEqual({ censuses: 0, seconds: 0, reinjected: 0, cached: 0 });
  });

  it('differences and mean duration of a window', () => {
    const d = censusDelta(counts(5, 130, 6.5, 300), counts(3, 120, 4.5, 80));
    expect(d).toEqual({ censuses: 2, seconds: 2, reinjected: 10, cached: 220 });
    expect(meanCensusMs(d)).toBe(1000);
    expect(meanCensusMs(counts(0, 0))).toBeNaN();
  });
});

describe('CensusSettle', () => {
  it('settles on the first census after every pod was judged that re-injects none', () => {
    const s = new CensusSettle(100, counts(2, 10));
    expect(s.observe(counts(3, 60))).toBe(false); // half judged
    expect(s.observe(counts(4, 110))).toBe(false); // every pod judged once
    expect(s.judged).toEqual(counts(4, 110));
    expect(s.observe(counts(4, 110))).toBe(false); // no new census yet
    expect(s.observe(counts(5, 140))).toBe(false); // kwok's status updates: 30 judged again
    expect(s.observe(counts(6, 140))).toBe(true);
    expect(s.settled).toEqual(counts(6, 140));
    expect(s.censusesAfterJudged).toBe(2);
    expect(s.observe(counts(7, 999))).toBe(true); // stays settled
  });

  it('counts censuses that ran between two scrapes', () => {
    const s = new CensusSettle(10, counts(0, 0));
    s.observe(counts(1, 10));
    expect(s.observe(counts(4, 10))).toBe(true);
    expect(s.censusesAfterJudged).toBe(3);
  });

  it('never settles while pods are still being re-injected', () => {
    const s = new CensusSettle(10, counts(0, 0));
    s.observe(counts(1, 10));
    for (let i = 2; i < 20; i++) expect(s.observe(counts(i, 10 * i))).toBe(false);
    expect(s.settled).toBeUndefined();
  });
});
