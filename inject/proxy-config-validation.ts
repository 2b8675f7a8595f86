// Validation of the `proxy.istio.io/config` annotation as istiod performs it: the YAML is read into a
// ProxyConfig over the defaults (protobuf JSON rules: durations are strings like "45s", ports numbers)
// and the result checked (paths, drain duration, discovery address, ports, auth policy, private key
// provider). Every problem is reported, prefixed like istiod's messages.
import { parse as parseYaml } from 'yaml';
import { defaultProxyConfig, mergeProxyConfig, type ProxyConfig } from '../lib/istio/mesh';
import { isPlainObject } from '../lib/istio/merge';

/** Duration-typed fields of ProxyConfig, as dotted paths (nested messages included). */
export const PROXY_CONFIG_DURATION_FIELDS: readonly string[] = [
  'drainDuration',
  'parentShutdownDuration',
  'discoveryRefreshDelay',
  'terminationDrainDuration',
  'fileFlushInterval',
  'envoyMetricsService.tcpKeepalive.time',
  'envoyMetricsService.tcpKeepalive.interval',
  'envoyAccessLogService.tcpKeepalive.time',
  'envoyAccessLogService.tcpKeepalive.interval',
  'privateKeyProvider.cryptomb.pollDelay',
  'privateKeyProvider.qat.pollDelay',
];

const PORT_FIELDS = ['proxyAdminPort', 'statusPort'] as const;
const AUTH_POLICIES = ['NONE', 'MUTUAL_TLS', 'INHERIT'];

// protobuf JSON's Duration: signed seconds with up to 9 fractional digits and an `s`.
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** Seconds and nanoseconds of a protobuf JSON duration, or undefined when it is not one. */
export function parseProtoDuration(v: unknown): { seconds: number; nanos: number } | undefined {
  if (typeof v !== 'string') return undefined;
  const m = DURATION.exec(v);
  if (!m) return undefined;
  const sign = m[1] ? -1 : 1;
  const seconds = Number(m[2]);
  // protobuf limits a Duration to about 10,000 years.
  if (seconds > 315_576_000_000) return undefined;
  return { seconds: sign * seconds, nanos: sign * Number((m[3] ?? '').padEnd(9, '0') || '0') };
}

/** Undefined when the annotation value is a valid ProxyConfig for istiod, else the reasons. */
export function validateProxyConfigAnnotation(value: string): string | undefined {
  let raw: unknown;
  try {
    raw = parseYaml(value);
  } catch (e) {
    return `failed to convert to apply proxy config: ${(e as Error).message}`;
  }
  if (raw === null || raw === undefined) return undefined;
  if (!isPlainObject(raw)) return 'failed to convert to apply proxy config: proxy config must be an object';
  const errors: string[] = [];
  for (const path of PROXY_CONFIG_DURATION_FIELDS) {
    const v = at(raw, path);
    if (v !== undefined && v !== null && !parseProtoDuration(v)) {
      errors.push(`failed to convert to apply proxy config: ${path}: invalid duration ${JSON.stringify(v)}`);
    }
  }
  for (const k of PORT_FIELDS) {
    const v = raw[k];
    // protobuf JSON takes an integer as a number or a numeric string.
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (v !== undefined && v !== null && !Number.isInteger(n)) {
      errors.push(`failed to convert to apply proxy config: ${k}: invalid value ${JSON.stringify(v)}`);
    }
  }
  if (errors.length) return errors.join('; ');
  return validateProxyConfig(mergeProxyConfig(defaultProxyConfig(), raw as ProxyConfig));
}

/** istiod's checks of an effective ProxyConfig (ValidateMeshConfigProxyConfig). */
export function validateProxyConfig(pc: ProxyConfig): string | undefined {
  const errors: string[] = [];
  if (!pc.configPath) errors.push('config path must be set');
  if (!pc.binaryPath) errors.push('binary path must be set');
  if (pc.serviceCluster === '') errors.push('service cluster must be specified');
  const drain = drainDurationError(pc.drainDuration);
  if (drain) errors.push(`invalid drain duration: ${drain}`);
  if (!pc.discoveryAddress) errors.push('discovery address must be set to the proxy discovery service');
  else {
    const bad = proxyAddressError(String(pc.discoveryAddress));
    if (bad) errors.push(`invalid discovery address: ${bad}`);
  }
  for (const [k, what] of [
    ['proxyAdminPort', 'proxy admin port'],
    ['statusPort', 'status port'],
  ] as const) {
    const p = Number(pc[k]);
    if (!Number.isInteger(p) || p < 1 || p > 65535)
      errors.push(`invalid ${what}: port number ${pc[k]} must be in the range 1..65535`);
  }
  const policy = pc.controlPlaneAuthPolicy;
  if (policy !== undefined && !AUTH_POLICIES.includes(String(policy))) {
    errors.push(`invalid authentication policy: unrecognized value ${JSON.stringify(policy)}`);
  }
  if (pc.privateKeyProvider !== undefined && pc.privateKeyProvider !== null) {
    const bad = privateKeyProviderError(pc.privateKeyProvider);
    if (bad) errors.push(`invalid private key provider confguration: ${bad}`);
  }
  return errors.length ? errors.join('; ') : undefined;
}

function drainDurationError(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const d = parseProtoDuration(v);
  if (!d) return `invalid duration ${JSON.stringify(v)}`;
  if (d.nanos % 1_000_000 !== 0) return 'only durations to ms precision are supported';
  if (d.seconds < 0 || (d.seconds === 0 && d.nanos < 1_000_000)) return 'duration must be greater than 1ms';
  if (d.nanos !== 0) return 'drain time only supports durations to seconds precision';
  return undefined;
}

function privateKeyProviderError(v: unknown): string | undefined {
  if (!isPlainObject(v)) return 'private key provider configuration is required';
  const kinds = (['cryptomb', 'qat'] as const).filter((k) => v[k] !== undefined && v[k] !== null);
  if (kinds.length === 0) return 'private key provider configuration is required';
  for (const k of kinds) {
    const conf = v[k];
    const delay = isPlainObject(conf) ? conf.pollDelay : undefined;
    if (delay === undefined || delay === null) return `${k}: pollDelay is required`;
    const d = parseProtoDuration(delay);
    if (d && d.seconds === 0 && d.nanos === 0) return `${k}: pollDelay must be non zero`;
  }
  return undefined;
}

// host:port with a valid port and a DNS name or IP host.
function proxyAddressError(addr: string): string | undefined {
  const i = addr.lastIndexOf(':');
  if (i <= 0) return `unable to split "${addr}": missing port in address`;
  let host = addr.slice(0, i);
  const port = addr.slice(i + 1);
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    return `port number ${port} must be in the range 1..65535`;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const label = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;
  if (ipv4.test(host) || host.includes(':')) return undefined;
  if (host.length > 255 || !host.split('.').every((l) => label.test(l))) return `invalid host ${host}`;
  return undefined;
}

function at(o: Record<string, unknown>, path: string): unknown {
  let cur: unknown = o;
  for (const k of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
