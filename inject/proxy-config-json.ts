// PROXY_CONFIG: the proxy's configured ProxyConfig as protobuf JSON, cleaned as istiod cleans it (fields
// equal to istiod's defaults are dropped: the agent applies the same defaults, and a default mesh config
// gives `{}`). Keys follow the proto declaration order, maps are sorted, as Go's protojson prints them.
import { defaultProxyConfig, PROXY_CONFIG_FIELD_ORDER, type ProxyConfig } from '../lib/istio/mesh';
import { isPlainObject } from '../lib/istio/merge';
import { parseProtoDuration } from './proxy-config-validation';

// Scalar fields istiod clears when they equal the default (its cleanProxyConfig).
const CLEANED_SCALARS = [
  'configPath',
  'binaryPath',
  'controlPlaneAuthPolicy',
  'serviceCluster',
  'discoveryAddress',
  'proxyAdminPort',
  'statNameLength',
  'statusPort',
] as const;
const CLEANED_DURATIONS = ['drainDuration', 'terminationDrainDuration'] as const;

/** Declaration order of istio.mesh.v1alpha1.Tracing (the oneof tracers first, as declared). */
const TRACING_FIELD_ORDER = [
  'zipkin',
  'lightstep',
  'datadog',
  'stackdriver',
  'openCensusAgent',
  'customTags',
  'maxPathTagLength',
  'sampling',
  'tlsSettings',
  'enableIstioTags',
];

// Read only: compared against, never handed out.
const DEFAULTS: Readonly<ProxyConfig> = defaultProxyConfig();

/** The configured ProxyConfig minus what equals istiod's defaults. Returns a new object. */
export function cleanProxyConfig(pc: ProxyConfig): ProxyConfig {
  const d = DEFAULTS;
  const out: ProxyConfig = { ...pc };
  for (const k of CLEANED_SCALARS) {
    if (out[k] !== undefined && String(out[k]) === String(d[k])) delete out[k];
  }
  for (const k of CLEANED_DURATIONS) {
    const a = parseProtoDuration(out[k]);
    const b = parseProtoDuration(d[k]);
    if (a && b && a.seconds === b.seconds && a.nanos === b.nanos) delete out[k];
  }
  if (isPlainObject(out.proxyMetadata) && Object.keys(out.proxyMetadata).length === 0)
    delete out.proxyMetadata;
  return out;
}

// Pods without a proxy.istio.io/config annotation share their compiled configuration's ProxyConfig object
// (never mutated), so its JSON is computed once per configuration instead of once per admission.
const jsonOf = new WeakMap<ProxyConfig, string>();

/** PROXY_CONFIG's value (without the trailing newline the template adds). */
export function proxyConfigJson(pc: ProxyConfig): string {
  let json = jsonOf.get(pc);
  if (json === undefined) jsonOf.set(pc, (json = buildProxyConfigJson(pc)));
  return json;
}

function buildProxyConfigJson(pc: ProxyConfig): string {
  const clean = cleanProxyConfig(pc);
  const known = new Set(PROXY_CONFIG_FIELD_ORDER);
  const parts: string[] = [];
  const emit = (k: string): void => {
    const v = clean[k];
    if (v === undefined || v === null) return;
    parts.push(`${JSON.stringify(k)}:${fieldJson(k, v)}`);
  };
  for (const k of PROXY_CONFIG_FIELD_ORDER) emit(k);
  for (const k of Object.keys(clean)) if (!known.has(k)) emit(k);
  return `{${parts.join(',')}}`;
}

// Integer fields protobuf JSON also reads from numeric strings; printed as numbers.
const INTEGER_FIELDS = new Set(['proxyAdminPort', 'statusPort', 'statNameLength', 'concurrency']);

function fieldJson(k: string, v: unknown): string {
  if (INTEGER_FIELDS.has(k) && typeof v === 'string' && /^-?\d+$/.test(v)) return String(Number(v));
  if (k === 'proxyMetadata' || k === 'runtimeValues') return sortedJson(v);
  if (k === 'tracing' && isPlainObject(v)) {
    const keys = [
      ...TRACING_FIELD_ORDER.filter((t) => v[t] !== undefined && v[t] !== null),
      ...Object.keys(v).filter(
        (t) => !TRACING_FIELD_ORDER.includes(t) && v[t] !== undefined && v[t] !== null,
      ),
    ];
    return `{${keys
      .map((t) => `${JSON.stringify(t)}:${t === 'customTags' ? sortedJson(v[t]) : JSON.stringify(v[t])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function sortedJson(v: unknown): string {
  if (!isPlainObject(v)) return JSON.stringify(v);
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(v[k])}`)
    .join(',')}}`;
}
