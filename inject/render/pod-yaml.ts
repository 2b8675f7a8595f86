// A rendered template's YAML as istiod reads it: parsed into a Pod, which
// drops what a Go corev1.Pod cannot hold or omits when empty: nulls, empty strings and lists, zero
// probe timings and false `readOnly`; scalars in string fields (env values, args, labels) become text.
// The result is the partial pod the strategic overlay merges onto the user's pod.
// js-yaml: about ten times faster than the `yaml` package on rendered templates (parsing dominates an
// interpreted injection). Core schema: JSON types only, no timestamps; duplicate keys: last wins (go-yaml).
import { CORE_SCHEMA, load } from 'js-yaml';
import { TemplateError } from './lex';
import type { TemplatePod } from '../templates/types';
import { formatNumber } from './values';

type Obj = Record<string, unknown>;

// int32 fields with omitempty (a 0 disappears in Go's JSON) and bools likewise.
const OMIT_ZERO = new Set([
  'initialDelaySeconds',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
  'hostPort',
]);
const OMIT_FALSE = new Set(['readOnly', 'stdin', 'stdinOnce', 'tty']);
// Fields of type string or []string whose YAML scalars Go converts to text.
const STRING_FIELDS = new Set([
  'value',
  'args',
  'command',
  'image',
  'name',
  'mountPath',
  'path',
  'fieldPath',
  'resource',
  'divisor',
  'imagePullPolicy',
  'restartPolicy',
  'protocol',
  'secretName',
  'medium',
  'sizeLimit',
  'cpu',
  'memory',
  'ephemeral-storage',
  'audience',
]);
const STRING_MAP_FIELDS = new Set(['labels', 'annotations', 'nodeSelector']);

export function podFromYaml(name: string, text: string): TemplatePod {
  let doc: unknown;
  try {
    doc = load(text, { schema: CORE_SCHEMA, json: true });
  } catch (e) {
    throw new TemplateError(`template ${name} rendered invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { metadata: {}, spec: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new TemplateError(
      `template ${name} must render a Pod object, got ${Array.isArray(doc) ? 'a list' : typeof doc}`,
    );
  }
  const d = doc as Obj;
  const meta = shape(d.metadata, '') as Obj | undefined;
  const spec = shape(d.spec, '') as Obj | undefined;
  const pod: TemplatePod = { metadata: {}, spec: {} };
  if (meta && typeof meta === 'object') {
    if (meta.labels) pod.metadata.labels = meta.labels as Record<string, string>;
    if (meta.annotations) pod.metadata.annotations = meta.annotations as Record<string, string>;
  }
  if (spec && typeof spec === 'object') Object.assign(pod.spec, spec);
  return pod;
}

function text(v: unknown): unknown {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v;
}

// Go's round trip through corev1.Pod, approximated by field name.
function shape(v: unknown, key: string): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      if (x === null || x === undefined) continue;
      out.push(STRING_FIELDS.has(key) ? text(x) : shape(x, ''));
    }
    return out;
  }
  if (v === null || typeof v !== 'object') return STRING_FIELDS.has(key) ? text(v) : v;
  const o = v as Obj;
  const out: Obj = {};
  const strings = STRING_MAP_FIELDS.has(key);
  for (const k of Object.keys(o)) {
    let x = o[k];
    if (x === null || x === undefined) continue;
    if (strings) {
      out[k] = text(x);
      continue;
    }
    x = shape(x, k);
    if (x === '' || (Array.isArray(x) && x.length === 0)) continue;
    if (OMIT_ZERO.has(k) && x === 0) continue;
    if (OMIT_FALSE.has(k) && x === false) continue;
    out[k] = x;
  }
  return out;
}
