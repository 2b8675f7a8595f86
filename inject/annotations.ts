// Pod annotations and labels the injector reads, and validation of the ones whose values it parses:
// an invalid value rejects the pod with a message naming the annotation and the reason.
import { validateProxyConfigAnnotation } from './proxy-config-validation';
import { isQuantity, QUANTITY_ERROR } from './quantity';
import { ANNOTATIONS as A, LABELS as L } from '../lib/istio/names';

/** Annotation and label names: the tables of lib/istio/names.ts, under the engine's short names. */
export { A, L };

type Validator = (value: string) => string | undefined;

/** Go's strconv.ParseBool: undefined for anything else. */
export function parseGoBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** Parses a port like strconv.ParseUint(s, 10, 16) after trimming. */
export function parsePort(raw: string): number | undefined {
  const s = raw.trim();
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

function portList(value: string): string | undefined {
  const s = value.trim();
  if (s === '') return undefined;
  for (const p of s.split(',')) {
    if (parsePort(p) === undefined) return `portList "${value}" invalid: failed parsing port "${p}"`;
  }
  return undefined;
}

function cidrList(value: string): string | undefined {
  if (value === '') return undefined;
  for (const c of value.split(',')) {
    if (!isCidr(c)) return `failed parsing cidr '${c}'`;
  }
  return undefined;
}

function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip.split('.').every((o) => Number(o) <= 255) && n <= 32;
  return isIPv6(ip) && n <= 128;
}

function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const groups = s.split(':').filter((g) => g !== '');
  if (groups.some((g) => g.length > 4 && !g.includes('.'))) return false;
  return dbl.length === 2 ? groups.length < 8 : groups.length === 8;
}

// Linux interface names (iptables -i/-o): 1..15 bytes, no `/`, `:` or whitespace, not `.` or `..`.
function interfaceList(value: string): string | undefined {
  if (value.trim() === '') return undefined;
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (name === '' || name === '.' || name === '..' || name.length > 15 || /[\s/:]/.test(name)) {
      return `invalid interface name "${raw}"`;
    }
  }
  return undefined;
}

// What the API machinery accepts for a resource quantity (the annotation becomes the proxy's resources).
const quantity: Validator = (v) => (isQuantity(v) ? undefined : QUANTITY_ERROR);

const bool: Validator = (v) =>
  parseGoBool(v) === undefined ? `strconv.ParseBool: parsing "${v}": invalid syntax` : undefined;

const uint32: Validator = (v) =>
  /^\d+$/.test(v) && Number(v) <= 0xffffffff
    ? undefined
    : `strconv.ParseUint: parsing "${v}": invalid syntax`;

// A readiness setting is a uint32 for the annotation check, then an int32 field of the proxy's probe:
// a value above 2^31-1 passes the first and breaks the second, so the pod is rejected either way.
const probeInt: Validator = (v) =>
  uint32(v) ?? (Number(v) > 0x7fffffff ? `value ${v} does not fit the probe's int32 field` : undefined);

const VALIDATORS: Readonly<Record<string, Validator>> = {
  [A.interceptionMode]: (v) =>
    ['REDIRECT', 'TPROXY', 'NONE'].includes(v)
      ? undefined
      : `interceptionMode invalid, use REDIRECT,TPROXY,NONE: ${v}`,
  [A.enableCoreDump]: bool,
  [A.statusPort]: (v) => (parsePort(v) === undefined ? `failed parsing port "${v}"` : undefined),
  [A.readinessInitialDelay]: probeInt,
  [A.readinessPeriod]: probeInt,
  [A.readinessFailureThreshold]: probeInt,
  [A.includeOutboundIPRanges]: (v) => {
    const e = v === '*' ? undefined : cidrList(v);
    return e && `includeIPRanges invalid: ${e}`;
  },
  [A.excludeOutboundIPRanges]: (v) => {
    const e = cidrList(v);
    return e && `excludeIPRanges invalid: ${e}`;
  },
  [A.includeInboundPorts]: (v) => {
    const e = v === '*' ? undefined : portList(v);
    return e && `includeInboundPorts invalid: ${e}`;
  },
  [A.excludeInboundPorts]: (v) => {
    const e = portList(v);
    return e && `excludeInboundPorts invalid: ${e}`;
  },
  [A.includeOutboundPorts]: (v) => {
    const e = portList(v);
    return e && `includeOutboundPorts invalid: ${e}`;
  },
  [A.excludeOutboundPorts]: (v) => {
    const e = portList(v);
    return e && `excludeOutboundPorts invalid: ${e}`;
  },
  [A.prometheusMerge]: bool,
  [A.proxyConfig]: validateProxyConfigAnnotation,
  [A.excludeInterfaces]: (v) => {
    const e = interfaceList(v);
    return e && `excludeInterfaces invalid: ${e}`;
  },
  [A.proxyCPU]: quantity,
  [A.proxyMemory]: quantity,
  [A.proxyCPULimit]: quantity,
  [A.proxyMemoryLimit]: quantity,
};

/**
 * Validates the annotations the injector parses. Returns undefined when all are valid, else one message
 * listing every invalid annotation (sorted by name, so the message is stable).
 */
export function validateAnnotations(annotations: Record<string, string> | undefined): string | undefined {
  if (!annotations) return undefined;
  const errors: string[] = [];
  for (const name of Object.keys(annotations).sort()) {
    // Own keys only: `valueOf`, `constructor` and the like are valid annotation names, not validators.
    const check = Object.hasOwn(VALIDATORS, name) ? VALIDATORS[name] : undefined;
    if (!check) continue;
    const value = annotations[name];
    const why = check(value);
    if (why) errors.push(`invalid value '${value}' for annotation '${name}': ${why}`);
  }
  if (errors.length === 0) return undefined;
  if (errors.length === 1) return errors[0];
  return `${errors.length} errors occurred:\n${errors.map((e) => `\t* ${e}`).join('\n')}`;
}
