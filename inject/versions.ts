// Which Istio release the injector imitates. A revision's injection must match that revision's own istiod,
// and injection changed between releases; this is the one table of what changed (version -> behaviour), so
// every version-dependent step reads a flag here instead of comparing version strings itself.
import { ISTIO_VERSION } from '../lib/version';
import { LABELS } from '../lib/istio/names';

/** What one Istio release line does differently from the others when it injects a sidecar. */
export interface VersionBehaviour {
  /** The release line (major.minor) these flags describe. */
  line: string;
  /** istio-init takes its own image value `global.proxy_init.image` (before: the proxy image). */
  initImageValue: boolean;
  /** The canonical-name label loses `-`, `_` and `.` at both ends (before: one trailing `-` after trunc 63). */
  canonicalNameTrimAll: boolean;
  /** COMPLIANCE_POLICY=fips-140-3 also sets GODEBUG=fips140=only on the proxy. */
  fipsGodebug: boolean;
  /** `prometheus.istio.io/scrape-targets` (`port:path,...`) feeds ISTIO_PROMETHEUS_ANNOTATIONS. */
  prometheusScrapeTargets: boolean;
  /** A `prometheus.io/port` that is not a port number, the agent's port or a reserved one rejects the pod. */
  prometheusPortValidation: boolean;
  /** `prometheus.istio.io/secure-port` is set from the proxy's ENVOY_SECURE_MERGED_METRICS_PORT. */
  prometheusSecurePort: boolean;
}

const V1_30: VersionBehaviour = {
  line: '1.30',
  initImageValue: false,
  canonicalNameTrimAll: false,
  fipsGodebug: false,
  prometheusScrapeTargets: false,
  prometheusPortValidation: false,
  prometheusSecurePort: false,
};

const V1_31: VersionBehaviour = {
  line: '1.31',
  initImageValue: true,
  canonicalNameTrimAll: true,
  fipsGodebug: true,
  prometheusScrapeTargets: true,
  prometheusPortValidation: true,
  prometheusSecurePort: true,
};

/** Known release lines, oldest first. Checked against upstream's suites of 1.30.3 and 1.31.0-rc.0. */
export const KNOWN_VERSIONS: readonly VersionBehaviour[] = [V1_30, V1_31];

/** The version this build was made for: what a revision that names no version is injected as. */
export const BUILT_FOR_VERSION = ISTIO_VERSION;

/** How a revision's version was turned into behaviour, for logs and metrics (see webhook/config). */
export interface ResolvedVersion {
  /** The version the revision declares ('' when it declares none). */
  declared: string;
  /** The known release line whose behaviour is used. */
  line: string;
  behaviour: VersionBehaviour;
  /** False when the declared version is missing, unparsable or not a known line (the nearest one is used). */
  exact: boolean;
  /** Why the behaviour is not exact, in a sentence; '' when exact. */
  note: string;
}

/** `1.31.0-rc.0`, `v1.30.3`, `1.31` -> [1, 31]; undefined when the text is no version. */
export function parseMinor(version: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:[.\-+].*)?$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * The behaviour of `declared`: its own line when known, else the nearest known line (newest for a newer
 * release, oldest for an older one), else the line of the version this build was made for. Never throws.
 */
export function resolveVersion(declared: string | undefined): ResolvedVersion {
  const text = (declared ?? '').trim();
  const builtFor = lineOf(parseMinor(BUILT_FOR_VERSION)) ?? V1_30;
  if (text === '') {
    return inexact(
      text,
      builtFor,
      `no version declared; using ${builtFor.line}, the version this build targets`,
    );
  }
  const parsed = parseMinor(text);
  if (!parsed) {
    return inexact(text, builtFor, `version "${text}" is not a version; using ${builtFor.line}`);
  }
  const exact = lineOf(parsed);
  if (exact) return { declared: text, line: exact.line, behaviour: exact, exact: true, note: '' };
  const nearest = nearestLine(parsed);
  return inexact(
    text,
    nearest,
    `version ${text} is not known to this build; injecting as ${nearest.line}, the nearest known version`,
  );
}

function lineOf(v: [number, number] | undefined): VersionBehaviour | undefined {
  if (!v) return undefined;
  return KNOWN_VERSIONS.find((b) => b.line === `${v[0]}.${v[1]}`);
}

function nearestLine([major, minor]: [number, number]): VersionBehaviour {
  const key = (b: VersionBehaviour): number => {
    const [ma, mi] = b.line.split('.').map(Number);
    return ma * 1000 + mi;
  };
  const want = major * 1000 + minor;
  let best = KNOWN_VERSIONS[0];
  for (const b of KNOWN_VERSIONS) {
    // Ties go to the newer line: a release between two known ones is closer to the newer code.
    if (Math.abs(key(b) - want) <= Math.abs(key(best) - want)) best = b;
  }
  return best;
}

function inexact(declared: string, b: VersionBehaviour, note: string): ResolvedVersion {
  return { declared, line: b.line, behaviour: b, exact: false, note };
}

/**
 * The version an injector ConfigMap declares, from the labels Helm and istioctl write on it (chart
 * `istio.labels`): `app.kubernetes.io/version` (the chart's appVersion), else `helm.sh/chart`
 * (`istiod-<version>`), else the older `operator.istio.io/version`. Undefined when none is present.
 */
export function versionFromLabels(labels: Record<string, string> | undefined): string | undefined {
  if (!labels) return undefined;
  const app = labels['app.kubernetes.io/version'];
  if (app) return app;
  const chart = labels['helm.sh/chart'];
  const m = chart ? /^[a-z][a-z0-9-]*?-(v?\d+\.\d+.*)$/.exec(chart) : null;
  if (m) return m[1];
  return labels[LABELS.istioVersion] || undefined;
}

/**
 * A log line for a revision whose version is not known exactly (undefined when it is): the webhook and the
 * operator log it when they load the revision's configuration, next to a gauge of inexact revisions.
 */
export function versionNotice(revision: string, v: ResolvedVersion | undefined): string | undefined {
  if (!v || v.exact) return undefined;
  return `revision ${revision}: ${v.note}`;
}
