// The Go text/template interpreter: the language as Go defines it, Go's printing and comparison rules,
// and the sprig and istiod functions injection templates call. Expected outputs are Go's.
import { compileTemplate, TemplateError } from '../../../../inject/render/compile';
import { INJECTION_FUNCS } from '../../../../inject/render/funcs';
import { STRUCTS } from '../../../../inject/render/values';

const run = (src: string, data: unknown = {}): string =>
  compileTemplate('t', src, INJECTION_FUNCS).execute(data);

const spec = {
  containers: [{ name: 'a', ports: [{ containerPort: 80 }] }, { name: 'b' }],
  serviceAccountName: 'sa',
};
STRUCTS.add(spec);
const data = {
  Spec: spec,
  ObjectMeta: { annotations: { x: 'y', 'k8s/a': 'v' }, labels: { app: 'web' } },
  TypeMeta: { APIVersion: 'apps/v1', Kind: 'Deployment' },
  Values: { global: { hub: 'h', n: 3, list: ['p', 'q'], empty: {}, off: false }, m: { b: 2, a: 1 } },
  ProxyConfig: { holdApplicationUntilProxyStarts: true, tracing: { zipkin: {} } },
};

describe('language', () => {
  it.each([
    ['text only', 'plain', 'plain'],
    ['comment', 'a{{/* c */}}b', 'ab'],
    ['trim markers', 'a  {{- "b" -}}  \n c', 'abc'],
    ['trimmed comment', 'a \n{{- /* c */ -}}\n b', 'ab'],
    ['pipeline', '{{ "x" | printf "%s-%s" "y" }}', 'y-x'],
    ['parenthesized', '{{ printf "%d" (len .Values.global.list) }}', '2'],
    ['declare and assign', '{{ $a := 1 }}{{ $a = 2 }}{{ $a }}', '2'],
    [
      'assignment in range reaches outer variable',
      '{{ $f := true }}{{ range .Values.global.list }}{{ if $f }}[{{ . }}]{{ $f = false }}{{ else }}{{ . }}{{ end }}{{ end }}',
      '[p]q',
    ],
    [
      'range index and element',
      '{{ range $i, $v := .Values.global.list }}{{ $i }}={{ $v }};{{ end }}',
      '0=p;1=q;',
    ],
    ['range one variable is the element', '{{ range $v := .Values.global.list }}{{ $v }}{{ end }}', 'pq'],
    ['range over a map in key order', '{{ range $k, $v := .Values.m }}{{ $k }}{{ $v }}{{ end }}', 'a1b2'],
    ['range else', '{{ range .Values.global.empty }}x{{ else }}none{{ end }}', 'none'],
    ['range over an int', '{{ range 3 }}{{ . }}{{ end }}', '012'],
    [
      'break and continue',
      '{{ range .Values.global.list }}{{ if eq . "p" }}{{ continue }}{{ end }}{{ . }}{{ break }}{{ end }}',
      'q',
    ],
    [
      'if / else if / else',
      '{{ if .Values.global.off }}a{{ else if .Values.global.n }}b{{ else }}c{{ end }}',
      'b',
    ],
    [
      'with / else',
      '{{ with .Values.global.hub }}{{ . }}{{ end }}{{ with .Values.global.off }}x{{ else }}-{{ end }}',
      'h-',
    ],
    ['else with', '{{ with .Values.global.off }}x{{ else with .Values.global.hub }}{{ . }}{{ end }}', 'h'],
    ['define and template', '{{ define "n" }}<{{ . }}>{{ end }}{{ template "n" .Values.global.hub }}', '<h>'],
    [
      'template sees $ as its argument',
      '{{ define "n" }}{{ $.hub }}{{ end }}{{ template "n" .Values.global }}',
      'h',
    ],
    ['block', '{{ block "b" .Values.global.n }}[{{ . }}]{{ end }}', '[3]'],
    [
      'variables are scoped to their block',
      '{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}',
      '21',
    ],
    ['$ is the data', '{{ range .Values.global.list }}{{ $.Values.global.hub }}{{ end }}', 'hh'],
    [
      'struct fields by Go name',
      '{{ (index .Spec.Containers 0).Name }} {{ .Spec.ServiceAccountName }} {{ .TypeMeta.APIVersion }}',
      'a sa apps/v1',
    ],
    [
      'an unset struct field is its zero value',
      '[{{ .Spec.NodeName }}]{{ if eq .Spec.NodeName "" }}empty{{ end }}',
      '[]empty',
    ],
    ['a missing map key prints <no value>', '{{ .Values.nothing }}', '<no value>'],
    [
      'proto getters and String',
      '{{ .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }} {{ .ProxyConfig.GetTracing.GetTlsSettings }} {{ "R".String }}',
      'true <nil> R',
    ],
    ['char and numbers', "{{ 'a' }} {{ 0x10 }} {{ 1.5 }} {{ -2 }} {{ 1e3 }}", '97 16 1.5 -2 1000'],
    ['nil', '{{ print nil }}', '<nil>'],
    ['print of slices and maps', '{{ .Values.global.list }} {{ .Values.m }}', '[p q] map[a:1 b:2]'],
    ['raw string', '{{ `a\\nb` }}', 'a\\nb'],
  ])('%s', (_name, src, want) => expect(run(src, data)).toBe(want));
});

describe('built-in functions', () => {
  it.each([
    ['and returns the first false value', '{{ and 1 0 "x" }}', '0'],
    ['and short-circuits', '{{ and false (fail "evaluated") }}', 'false'],
    ['or returns the first true value', '{{ or "" "b" (fail "evaluated") }}', 'b'],
    ['not', '{{ not "" }} {{ not .Values.global.list }}', 'true false'],
    ['eq with several arguments', '{{ eq .Values.global.hub "x" "h" }}', 'true'],
    ['eq of a missing value and a string is false', '{{ eq .Values.nothing "" }}', 'false'],
    [
      'ne, lt, le, gt, ge on numbers',
      '{{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt 1 2 }} {{ ge 3 2 }}',
      'true true true false true',
    ],
    ['lt on strings', '{{ lt "a" "b" }}', 'true'],
    [
      'index of maps and slices',
      '{{ index .ObjectMeta.annotations "k8s/a" }} {{ index .Values.global.list 1 }}',
      'v q',
    ],
    ['len', '{{ len "héllo" }} {{ len .Values.m }}', '6 2'],
    ['slice', '{{ slice "abcdef" 1 3 }} {{ slice .Values.global.list 1 }}', 'bc [q]'],
    [
      'printf verbs',
      '{{ printf "%s|%d|%v|%t|%q|%5s|%-3d|%x|%%" "s" 4 .Values.global.list true "q" "r" 7 255 }}',
      's|4|[p q]|true|"q"|    r|7  |ff|%',
    ],
    ['print and println', '{{ print "a" 1 2 "b" }}|{{ println 1 "x" }}', 'a1 2b|1 x\n'],
    [
      'html, js, urlquery',
      '{{ html "<a&b>" }} {{ js "it\'s" }} {{ urlquery "a b&c" }}',
      "&lt;a&amp;b&gt; it\\'s a+b%26c",
    ],
  ])('%s', (_name, src, want) => expect(run(src, data)).toBe(want));
});

describe('sprig and istiod functions', () => {
  it.each([
    [
      'default',
      '{{ "" | default "d" }} {{ .Values.nothing | default "d" }} {{ "v" | default "d" }}',
      'd d v',
    ],
    ['quote', '{{ "a\\"b" | quote }} {{ 15 | quote }} {{ quote .Values.nothing }}', '"a\\"b" "15" '],
    [
      'trunc, trimSuffix, trimAll',
      '{{ "abcdef-" | trunc 6 | trimSuffix "-" }} {{ "--a.b_" | trimAll "-_." }}',
      'abcdef a.b',
    ],
    [
      'indent leaves the first line (istiod), nindent starts a new line',
      '{{ "a\\nb" | indent 2 }}|{{ "a\\nb" | nindent 2 }}',
      'a\n  b|\n  a\n  b',
    ],
    ['toYaml', '{{ toYaml .Values.m }}', 'a: 1\nb: 2\n'],
    [
      'list, append, join, first, last',
      '{{ $l := list "a" }}{{ $l = append $l "b" }}{{ join "," $l }} {{ first $l }}{{ last $l }}',
      'a,b ab',
    ],
    [
      'contains, hasPrefix, toLower, upper',
      '{{ contains "/" "a/b" }} {{ hasPrefix "a" "ab" }} {{ toLower "AB" }} {{ upper "x" }}',
      'true true ab X',
    ],
    ['dict, hasKey', '{{ $d := dict "a" 1 }}{{ hasKey $d "a" }} {{ hasKey $d "b" }}', 'true false'],
    [
      'isset and annotation',
      '{{ isset .ObjectMeta.annotations "x" }} {{ annotation .ObjectMeta "x" "d" }} {{ annotation .ObjectMeta "nope" 15020 }}',
      'true y 15020',
    ],
    [
      'valueOrDefault',
      '{{ valueOrDefault "" "d" }} {{ valueOrDefault .Values.nothing "d" }} {{ valueOrDefault "v" "d" }}',
      'd d v',
    ],
    [
      'excludeInboundPort',
      '{{ excludeInboundPort 15020 "" }} {{ excludeInboundPort "15020" "1,15020" }} {{ excludeInboundPort 0 "1" }} {{ excludeInboundPort 3 " 1, 2 " }}',
      '15020 1,15020 1 1,2,3',
    ],
    [
      'structToJSON of a container port (Go field order)',
      '{{ structToJSON (index (index .Spec.Containers 0).Ports 0) }}',
      '{"containerPort":80}',
    ],
    [
      'toJsonMap, omit, strdict',
      '{{ toJsonMap (omit (strdict "b" "2" "a" "<1>" "c" "3") "c") }}',
      '{"a":"\\u003c1\\u003e","b":"2"}',
    ],
    [
      'fromJSON and range',
      '{{ range $k, $v := fromJSON `{"b":1,"a":"x"}` }}{{ $k }}={{ $v }};{{ end }}',
      'a=x;b=1;',
    ],
    ['directory', '{{ directory "/etc/certs/root.pem" }}', '/etc/certs/'],
    ['appendMultusNetwork', '{{ appendMultusNetwork "a" "default/istio-cni" }}', 'a, default/istio-cni'],
    ['formatDuration', '{{ formatDuration "90s" }} {{ formatDuration "0.5s" }}', '1m30s 500ms'],
    ['omitNil', '{{ toYaml (omitNil (fromJSON `{"a":null,"b":{"c":null,"d":1}}`)) }}', 'b:\n  d: 1\n'],
  ])('%s', (_name, src, want) => expect(run(src, data)).toBe(want));
});

describe('errors', () => {
  it.each([
    ['unknown function', '{{ frob . }}', /template: t:1: function "frob" not defined/],
    ['undefined variable', 'a\n{{ $nope }}', /template: t:2: undefined variable "\$nope"/],
    ['unclosed action', '{{ if .X }}', /missing \{\{end\}\}|unexpected EOF/],
    ['unexpected end', '{{ end }}', /unexpected \{\{end\}\}/],
    ['break outside range', '{{ break }}', /outside \{\{range\}\}/],
    ['unterminated string', '{{ "abc }}', /unterminated quoted string/],
    ['unclosed comment', '{{/* x }}', /unclosed comment/],
  ])('%s fails at compile time', (_name, src, want) => {
    expect(() => compileTemplate('t', src, INJECTION_FUNCS)).toThrow(want);
  });

  it.each([
    ['a function error names the function', '{{ fail "boom" }}', /error calling fail: boom/],
    ['len of nil', '{{ len .Values.nothing }}', /len of nil/],
    ['index out of range', '{{ index .Values.global.list 5 }}', /index out of range/],
    ['incomparable types', '{{ eq "a" 1 }}', /incompatible types for comparison/],
    ['range over a bool', '{{ range true }}{{ end }}', /range can't iterate over true/],
    ['a missing template', '{{ template "none" }}', /no such template "none"/],
    ['arguments to a non-function', '{{ .Values.global.hub "x" }}', /can't give argument to non-function/],
    [
      'runaway recursion',
      '{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}',
      /exceeded maximum template depth/,
    ],
  ])('%s fails when run', (_name, src, want) => {
    expect(() => run(src, data)).toThrow(TemplateError);
    expect(() => run(src, data)).toThrow(want);
  });
});
