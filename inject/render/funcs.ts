// The functions istiod gives injection templates: text/template's built-ins, the sprig functions
// (a deterministic subset: no clocks, randomness or environment), then istiod's own, which win over
// sprig's of the same name (`indent`, `toYaml`, `toJson`, `contains`, `toLower`) as in istiod.
import { stringify as yamlStringify } from 'yaml';
import { createHash } from 'node:crypto';
import { TemplateError } from './lex';
import type { FuncMap, GoFunc } from './compile';
import { BUILTINS } from './builtins';
import { goJson } from '../go-json';
import { appendMultusNetwork } from '../pod-metadata';
import { goQuote, sprint } from './printf';
import { fmtValue, isObj, STRING_MAPS } from './values';

type Obj = Record<string, unknown>;

/** JSON a Go value marshals to, registered by the template data (e.g. PROXY_CONFIG of .ProxyConfig). */
export const PROTO_JSON = new WeakMap<object, () => string>();

/** sprig's strval: strings as they are, everything else as fmt prints it. */
const strval = (v: unknown): string => (typeof v === 'string' ? v : fmtValue(v));

/** sprig's empty: nil, zero numbers, false, "" and empty collections. */
export function empty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).length === 0;
  return false;
}

function list(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v === undefined || v === null) return [];
  throw new TemplateError(`cannot ${fn} on type ${typeof v}`);
}

function strMap(v: unknown): Obj {
  return isObj(v) ? v : {};
}

function toInt(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isFinite(n) ? Math.trunc(n) : 0;
  }
  return 0;
}

/** encoding/json: maps with sorted keys, `<`, `>`, `&` escaped as Go does by default. */
export function goMarshal(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(goMarshal).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${goString(k)}:${goMarshal(v[k])}`)
      .join(',')}}`;
  }
  if (typeof v === 'string') return goString(v);
  return JSON.stringify(v) ?? 'null';
}

function goString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** sigs.k8s.io/yaml Marshal: sorted keys, block style, a trailing newline. */
export function toYaml(v: unknown): string {
  if (v === undefined || v === null) return 'null\n';
  return yamlStringify(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0, version: '1.1' });
}

/** Go's time.Duration String for a protobuf JSON duration ("1.5s", "90s"). */
function formatDuration(v: unknown): string {
  if (v === undefined || v === null) return '0s';
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(String(v));
  if (!m) throw new TemplateError(`invalid duration ${JSON.stringify(v)}`);
  const ns = BigInt(m[2]) * 1_000_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'));
  const sign = m[1];
  if (ns === 0n) return '0s';
  if (ns < 1_000_000_000n) {
    const units: [bigint, string][] = [
      [1_000_000n, 'ms'],
      [1_000n, 'µs'],
      [1n, 'ns'],
    ];
    for (const [u, name] of units) {
      if (ns >= u) return `${sign}${fraction(ns, u)}${name}`;
    }
  }
  const h = ns / 3_600_000_000_000n;
  const rest = ns % 3_600_000_000_000n;
  const min = rest / 60_000_000_000n;
  const sec = rest % 60_000_000_000n;
  let out = `${fraction(sec, 1_000_000_000n)}s`;
  if (h > 0n || min > 0n) out = `${min}m${out}`;
  if (h > 0n) out = `${h}h${out}`;
  return sign + out;
}

function fraction(v: bigint, unit: bigint): string {
  const whole = v / unit;
  const frac = v % unit;
  if (frac === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`;
}

function excludeInboundPort(port: unknown, excluded: unknown): string {
  const p = fmtValue(port).trim();
  const ex = typeof excluded === 'string' ? excluded : fmtValue(excluded);
  if (p === '' || p === '0') return ex;
  const out: string[] = [];
  for (const raw of ex.split(',')) {
    if (raw === p) return ex;
    const t = raw.trim();
    if (t) out.push(t);
  }
  out.push(p);
  return out.join(',');
}

function containerPorts(containers: unknown, skipProxy: boolean): string {
  const parts: string[] = [];
  for (const c of list(containers, 'range')) {
    if (!isObj(c) || (skipProxy && c.name === 'istio-proxy')) continue;
    for (const p of list(c.ports, 'range')) {
      if (!isObj(p) || p.protocol === 'UDP' || p.protocol === 'SCTP') continue;
      parts.push(String(p.containerPort ?? 0));
    }
  }
  return parts.join(',');
}

function getAnnotation(meta: unknown, name: unknown, def: unknown): string {
  const anns = isObj(meta) ? meta.annotations : undefined;
  if (isObj(anns) && Object.hasOwn(anns, String(name))) return String(anns[String(name)]);
  return fmtValue(def);
}

function otelResourceAttributes(
  mesh: unknown,
  annotations: unknown,
  labels: unknown,
  namespace: unknown,
  containers: unknown,
): string {
  const providers = isObj(mesh) && Array.isArray(mesh.extensionProviders) ? mesh.extensionProviders : [];
  const wanted = providers.some(
    (p) =>
      isObj(p) &&
      isObj(p.opentelemetry) &&
      p.opentelemetry.serviceAttributeEnrichment === 'OTEL_SEMANTIC_CONVENTIONS',
  );
  if (!wanted) return '';
  const anns = strMap(annotations);
  const labs = strMap(labels);
  const pick = (key: string, def: unknown): string =>
    Object.hasOwn(anns, key) ? String(anns[key]) : def === undefined ? '' : String(def);
  const ns = typeof namespace === 'string' && namespace ? namespace : 'default';
  const attrs: string[] = [];
  const name = pick('resource.opentelemetry.io/service.name', labs['app.kubernetes.io/name']);
  if (name) attrs.push(`service.name=${name}`);
  attrs.push(`service.namespace=${pick('resource.opentelemetry.io/service.namespace', ns)}`);
  const version = pick('resource.opentelemetry.io/service.version', labs['app.kubernetes.io/version']);
  if (version) attrs.push(`service.version=${version}`);
  const first = list(containers, 'range').find((c) => isObj(c) && c.name !== 'istio-proxy');
  if (isObj(first)) attrs.push(`service.instance.id=${ns}.$(POD_NAME).${String(first.name)}`);
  return attrs.join(',');
}

function omitNil(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(omitNil);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = omitNil(x);
  return out;
}

function mergeStringMaps(maps: unknown[]): Obj {
  const out: Obj = {};
  for (const m of maps) if (isObj(m)) Object.assign(out, m);
  STRING_MAPS.add(out);
  return out;
}

const pad = (n: unknown): string => ' '.repeat(Math.max(0, toInt(n)));

const SPRIG: Record<string, GoFunc> = {
  // Strings.
  quote: (...a) =>
    a
      .filter((x) => x !== undefined && x !== null)
      .map((x) => goQuote(strval(x)))
      .join(' '),
  squote: (...a) =>
    a
      .filter((x) => x !== undefined && x !== null)
      .map((x) => `'${strval(x)}'`)
      .join(' '),
  upper: (s) => strval(s).toUpperCase(),
  lower: (s) => strval(s).toLowerCase(),
  title: (s) => strval(s).replace(/(^|\s)(\S)/g, (_m, a: string, b: string) => a + b.toUpperCase()),
  trim: (s) => strval(s).trim(),
  trimAll: (cut, s) => trimSet(strval(s), strval(cut)),
  trimSuffix: (suf, s) => {
    const str = strval(s);
    const x = strval(suf);
    return x && str.endsWith(x) ? str.slice(0, -x.length) : str;
  },
  trimPrefix: (pre, s) => {
    const str = strval(s);
    const x = strval(pre);
    return str.startsWith(x) ? str.slice(x.length) : str;
  },
  hasPrefix: (pre, s) => strval(s).startsWith(strval(pre)),
  hasSuffix: (suf, s) => strval(s).endsWith(strval(suf)),
  replace: (old, nw, s) => strval(s).split(strval(old)).join(strval(nw)),
  repeat: (n, s) => strval(s).repeat(Math.max(0, toInt(n))),
  substr: (start, end, s) => {
    const str = strval(s);
    const a = toInt(start);
    const b = toInt(end);
    if (a < 0) return str.slice(0, b);
    if (b < 0 || b > str.length) return str.slice(a);
    return str.slice(a, b);
  },
  trunc: (n, s) => {
    const str = strval(s);
    const c = toInt(n);
    if (c < 0 && str.length + c > 0) return str.slice(str.length + c);
    if (c >= 0 && str.length > c) return str.slice(0, c);
    return str;
  },
  nindent: (n, s) =>
    `\n${pad(n)}${strval(s)
      .split('\n')
      .join(`\n${pad(n)}`)}`,
  indent: (n, s) =>
    `${pad(n)}${strval(s)
      .split('\n')
      .join(`\n${pad(n)}`)}`,
  splitList: (sep, s) => strval(s).split(strval(sep)),
  join: (sep, v) => (Array.isArray(v) ? v.map(strval).join(strval(sep)) : strval(v)),
  toString: (v: unknown) => strval(v),
  toStrings: (v) => list(v, 'toStrings').map((x) => strval(x)),
  contains: (sub, s) => strval(s).includes(strval(sub)),
  b64enc: (s) => Buffer.from(strval(s), 'utf8').toString('base64'),
  b64dec: (s) => Buffer.from(strval(s), 'base64').toString('utf8'),
  sha256sum: (s) => createHash('sha256').update(strval(s)).digest('hex'),
  regexMatch: (re, s) => new RegExp(strval(re)).test(strval(s)),
  regexReplaceAll: (re, s, repl) =>
    strval(s).replace(new RegExp(strval(re), 'g'), strval(repl).replace(/\$\{?(\d+)\}?/g, '$$$1')),
  // Defaults and logic.
  default: (d, ...given) => (given.length === 0 || empty(given[0]) ? d : given[0]),
  empty: (v) => empty(v),
  coalesce: (...a) => a.find((x) => !empty(x)) ?? null,
  ternary: (t, f, c) => (c === true ? t : f),
  fail: (msg) => {
    throw new TemplateError(strval(msg));
  },
  // Lists.
  list: (...a) => a,
  append: (l, v) => [...list(l, 'append'), v],
  prepend: (l, v) => [v, ...list(l, 'prepend')],
  first: (l) => list(l, 'first')[0] ?? null,
  last: (l) => {
    const x = list(l, 'last');
    return x.length ? x[x.length - 1] : null;
  },
  rest: (l) => list(l, 'rest').slice(1),
  initial: (l) => list(l, 'initial').slice(0, -1),
  has: (v, l) => list(l, 'has').some((x) => x === v),
  without: (l, ...vs) => list(l, 'without').filter((x) => !vs.includes(x)),
  compact: (l) => list(l, 'compact').filter((x) => !empty(x)),
  uniq: (l) => [...new Set(list(l, 'uniq'))],
  sortAlpha: (l) => list(l, 'sortAlpha').map(strval).sort(),
  // Dictionaries.
  dict: (...a) => {
    const out: Obj = {};
    for (let i = 0; i < a.length; i += 2) out[strval(a[i])] = i + 1 < a.length ? a[i + 1] : '';
    return out;
  },
  hasKey: (m, k) => isObj(m) && Object.hasOwn(m, strval(k)),
  get: (m, k) => (isObj(m) && Object.hasOwn(m, strval(k)) ? m[strval(k)] : ''),
  keys: (...ms) => ms.flatMap((m) => (isObj(m) ? Object.keys(m) : [])),
  pick: (m, ...ks) => {
    const out: Obj = {};
    for (const k of ks) if (isObj(m) && Object.hasOwn(m, strval(k))) out[strval(k)] = m[strval(k)];
    return out;
  },
  // Numbers.
  int: (v) => toInt(v),
  int64: (v) => toInt(v),
  atoi: (v) => toInt(v),
  float64: (v) => Number(v) || 0,
  add: (...a) => a.reduce<number>((s, x) => s + toInt(x), 0),
  add1: (v) => toInt(v) + 1,
  sub: (a, b) => toInt(a) - toInt(b),
  mul: (...a) => a.reduce<number>((s, x) => s * toInt(x), 1),
  div: (a, b) => {
    if (toInt(b) === 0) throw new TemplateError('integer divide by zero');
    return Math.trunc(toInt(a) / toInt(b));
  },
  mod: (a, b) => {
    if (toInt(b) === 0) throw new TemplateError('integer divide by zero');
    return toInt(a) % toInt(b);
  },
  max: (...a) => Math.max(...a.map(toInt)),
  min: (...a) => Math.min(...a.map(toInt)),
  // Encoding.
  toPrettyJson: (v) => JSON.stringify(v, null, 2) ?? 'null',
  toRawJson: (v) => JSON.stringify(v) ?? 'null',
  fromJson: (s) => {
    try {
      return JSON.parse(strval(s)) as unknown;
    } catch {
      return {};
    }
  },
  typeOf: (v) => goTypeOf(v),
  kindIs: (k, v) => goKindOf(v) === strval(k),
};

function goTypeOf(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObj(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

function goKindOf(v: unknown): string {
  if (v === undefined || v === null) return 'invalid';
  if (Array.isArray(v)) return 'slice';
  if (isObj(v)) return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

function trimSet(s: string, cut: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && cut.includes(s[a])) a++;
  while (b > a && cut.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

const ISTIO: Record<string, GoFunc> = {
  formatDuration,
  isset: (m, k) => isObj(m) && Object.hasOwn(m, strval(k)),
  excludeInboundPort,
  includeInboundPorts: (c) => containerPorts(c, false),
  applicationPorts: (c) => containerPorts(c, true),
  kubevirtInterfaces: (s) => strval(s),
  excludeInterfaces: (s) => strval(s),
  annotation: getAnnotation,
  valueOrDefault: (v, d) => (v === '' || v === undefined || v === null ? d : v),
  toJSON: (m) => (m === undefined || m === null ? '{}' : goMarshal(m)),
  toJson: (m) => (m === undefined || m === null ? '{}' : goMarshal(m)),
  fromJSON: (s) => {
    try {
      return JSON.parse(strval(s)) as unknown;
    } catch {
      return '{}';
    }
  },
  structToJSON: (v) => {
    if (v === undefined || v === null) return '{}';
    if (isObj(v) && 'containerPort' in v) return goJson(v, 'ContainerPort');
    return goMarshal(v);
  },
  protoToJSON: (v) => {
    if (v === undefined || v === null) return '{}';
    const f = typeof v === 'object' ? PROTO_JSON.get(v) : undefined;
    return f ? f() : goMarshal(v);
  },
  toYaml,
  // istiod's indent leaves the first line alone: the template already put it in place.
  indent: (n, s) =>
    strval(s)
      .split('\n')
      .join(`\n${pad(n)}`),
  directory: (p) => {
    const s = strval(p);
    return s.slice(0, s.lastIndexOf('/') + 1);
  },
  toLower: (s) => strval(s).toLowerCase(),
  appendMultusNetwork: (existing, network) =>
    appendMultusNetwork(existing === undefined || existing === null ? '' : strval(existing), strval(network)),
  // istiod reads its own environment; the pure engine has none, so the default applies.
  env: (_key, def) => strval(def),
  omit: (m, ...keys) => {
    const out: Obj = {};
    const drop = new Set(keys.map(strval));
    for (const [k, v] of Object.entries(strMap(m))) if (!drop.has(k)) out[k] = v;
    STRING_MAPS.add(out);
    return out;
  },
  strdict: (...a) => {
    const out: Obj = {};
    for (let i = 0; i < a.length; i += 2) out[strval(a[i])] = i + 1 < a.length ? strval(a[i + 1]) : '';
    STRING_MAPS.add(out);
    return out;
  },
  toJsonMap: (...maps) => goMarshal(mergeStringMaps(maps)),
  mergeMaps: (...maps) => mergeStringMaps(maps),
  omitNil,
  otelResourceAttributes,
};

/** Everything an injection template may call. */
export const INJECTION_FUNCS: FuncMap = { ...BUILTINS, ...SPRIG, ...ISTIO, print: (...a) => sprint(a) };
