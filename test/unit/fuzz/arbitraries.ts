// Generators for the fuzz suites: Pods as a controller or a user would send them (containers, named and
// numbered ports, probes and lifecycle hooks of every kind, resources, security contexts, annotations
// with valid and invalid values for the keys the injector parses, owner references, long names and
// unicode) and admission request bodies, well-formed and broken at every level.
import type {
  V1Container,
  V1LifecycleHandler,
  V1OwnerReference,
  V1Pod,
  V1Probe,
} from '@kubernetes/client-node';
import fc from 'fast-check';

/** JSON-compatible value (what crosses the wire); undefined-valued keys never appear. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const lower = 'abcdefghijklmnopqrstuvwxyz';
const dnsChar = fc.constantFrom(...`${lower}0123456789-`.split(''));

/** A DNS-1123 label of 1..max characters (1..63 normally; 253 for the long-name cases). */
export const dnsLabel = (max = 20): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...lower.split('')), fc.array(dnsChar, { maxLength: max - 1 }))
    .map(([h, t]) => (h + t.join('')).replace(/-+$/, '') || h);

/** Strings the apiserver would mostly refuse but the engine must survive: unicode, control, quotes, YAML. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '{{ .Values }}',
    '"quoted"',
    'a\nb: c',
    '- x',
    '__proto__',
    'constructor',
    'valueOf',
    'toString',
    'hasOwnProperty',
    '../../etc',
    '\u202e\u00e9\u4e2d\ud83d\ude00',
    '9'.repeat(40),
    '-1',
    '1e3',
    'NaN',
    'null',
    'true',
  ),
);

const portNumber = fc.oneof(
  fc.integer({ min: 1, max: 65535 }),
  fc.constantFrom(80, 8080, 15020, 15021, 15090, 15000),
);
const portName = fc.oneof(fc.constantFrom('http', 'grpc', 'http-metrics', 'tcp', 'admin'), dnsLabel(15));
/** A probe's port: a number, a port name (declared or not), or an unusual string. */
const probePort: fc.Arbitrary<number | string> = fc.oneof(
  { weight: 3, arbitrary: portNumber },
  { weight: 3, arbitrary: portName },
  { weight: 1, arbitrary: fc.constantFrom('0', '65536', '', 'ä') },
);

const httpGet = fc.record(
  {
    port: probePort,
    path: fc.oneof(
      fc.constantFrom('/', '/healthz', '/ready?x=1', 'no-slash', '/ü/\u00e9'),
      fc.string({ maxLength: 6 }),
    ),
    scheme: fc.constantFrom('HTTP', 'HTTPS'),
    host: fc.constantFrom('localhost', '10.0.0.1', 'example.com'),
    httpHeaders: fc.array(
      fc.record({ name: fc.constantFrom('Host', 'X-Custom', 'Authorization'), value: nastyString }),
      {
        maxLength: 2,
      },
    ),
  },
  { requiredKeys: ['port'] },
);
const tcpSocket = fc.record(
  { port: probePort, host: fc.constantFrom('localhost', '127.0.0.1') },
  { requiredKeys: ['port'] },
);
const grpc = fc.record(
  { port: portNumber, service: fc.constantFrom('', 'health', 'grpc.health.v1.Health') },
  { requiredKeys: ['port'] },
);
const exec = fc.record({ command: fc.array(nastyString, { minLength: 1, maxLength: 3 }) });

const probeTiming = {
  initialDelaySeconds: fc.integer({ min: 0, max: 600 }),
  periodSeconds: fc.integer({ min: 1, max: 60 }),
  timeoutSeconds: fc.integer({ min: 1, max: 60 }),
  failureThreshold: fc.integer({ min: 1, max: 10 }),
  successThreshold: fc.constant(1),
};

/** A probe of each kind: httpGet, tcpSocket, grpc, exec. */
export const probe: fc.Arbitrary<V1Probe> = fc.oneof(
  fc.record({ httpGet, ...probeTiming }, { requiredKeys: ['httpGet'] }),
  fc.record({ tcpSocket, ...probeTiming }, { requiredKeys: ['tcpSocket'] }),
  fc.record({ grpc, ...probeTiming }, { requiredKeys: ['grpc'] }),
  fc.record({ exec, ...probeTiming }, { requiredKeys: ['exec'] }),
) as fc.Arbitrary<V1Probe>;

/** A lifecycle handler of each kind: httpGet, tcpSocket, exec, sleep. */
const handler: fc.Arbitrary<V1LifecycleHandler> = fc.oneof(
  fc.record({ httpGet }),
  fc.record({ tcpSocket }),
  fc.record({ exec }),
  fc.record({ sleep: fc.record({ seconds: fc.integer({ min: 1, max: 30 }) }) }),
) as fc.Arbitrary<V1LifecycleHandler>;

const quantity = fc.oneof(
  fc.constantFrom('100m', '1', '2000m', '0.5', '128Mi', '1Gi', '1024Mi', '1e3', '500k', '1.5Gi'),
  fc.integer({ min: 1, max: 4000 }).map((n) => `${n}m`),
);
const resources = fc.record(
  {
    requests: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
    limits: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

/**
 * Ports the app declares: never Istio's own (15000-15099, the agent and Envoy bind them in the pod's network
 * namespace; a pod declaring the status port for itself cannot work with a sidecar, and its probes on that
 * port read as already rewritten on re-injection; docs/reliability.md).
 */
const appPort = fc.oneof(
  fc.integer({ min: 1, max: 65535 }).filter((n) => n < 15000 || n > 15099),
  fc.constantFrom(80, 443, 8080, 9090),
);
const containerPort = fc.record(
  {
    name: portName,
    containerPort: appPort,
    protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'),
  },
  { requiredKeys: ['containerPort'] },
);

const envVar = fc.oneof(
  fc.record({
    name: fc.oneof(
      fc.constantFrom('A', 'PROXY_CONFIG', 'ISTIO_META_X', 'ISTIO_KUBE_APP_PROBERS'),
      dnsLabel(8),
    ),
    value: nastyString,
  }),
  fc.record({
    name: fc.constantFrom('FROM_SECRET', 'POD_NAME'),
    valueFrom: fc.oneof(
      fc.record({
        secretKeyRef: fc.record({ name: dnsLabel(8), key: fc.constantFrom('token', 'password') }),
      }),
      fc.record({ fieldRef: fc.record({ fieldPath: fc.constantFrom('metadata.name', 'status.podIP') }) }),
    ),
  }),
);

const securityContext = fc.record(
  {
    runAsUser: fc.integer({ min: 0, max: 2_000_000 }),
    runAsGroup: fc.integer({ min: 0, max: 2_000_000 }),
    runAsNonRoot: fc.boolean(),
    privileged: fc.boolean(),
    readOnlyRootFilesystem: fc.boolean(),
    capabilities: fc.record({
      add: fc.array(fc.constantFrom('NET_ADMIN', 'NET_RAW', 'SYS_PTRACE'), { maxLength: 2 }),
    }),
  },
  { requiredKeys: [] },
);

/** A container named by `name`. */
export const container = (
  name: fc.Arbitrary<string>,
  opts: { ports?: boolean } = {},
): fc.Arbitrary<V1Container> =>
  fc.record(
    {
      name,
      image: fc.oneof(
        fc.constantFrom(
          'auto',
          'app:1',
          'registry.example.com:5000/team/app@sha256:' + 'a'.repeat(64),
          'docker.io/istio/proxyv2:1.30.3',
        ),
        dnsLabel(10),
      ),
      command: fc.array(nastyString, { maxLength: 2 }),
      args: fc.array(nastyString, { maxLength: 2 }),
      // Unique numbers (the strategic merge key; duplicates merge into one, upstream too) and names
      // (the apiserver refuses duplicate port names).
      ports:
        opts.ports === false
          ? fc.constant([])
          : fc
              .uniqueArray(containerPort, { maxLength: 3, selector: (p) => p.containerPort })
              .map((ps) => ps.filter((p, i) => !p.name || ps.findIndex((q) => q.name === p.name) === i)),
      env: fc.uniqueArray(envVar, { maxLength: 3, selector: (e) => e.name }),
      readinessProbe: probe,
      livenessProbe: probe,
      startupProbe: probe,
      lifecycle: fc.record({ postStart: handler, preStop: handler }, { requiredKeys: [] }),
      resources,
      securityContext,
      restartPolicy: fc.constant('Always'),
    },
    { requiredKeys: ['name'] },
  );

/** Values the injector validates, valid and invalid, per annotation; `bad` marks the invalid ones. */
const VALIDATED: Record<string, { good: string[]; bad: string[] }> = {
  'sidecar.istio.io/interceptionMode': {
    good: ['REDIRECT', 'TPROXY', 'NONE'],
    bad: ['SIDEWAYS', 'redirect', ''],
  },
  'sidecar.istio.io/enableCoreDump': { good: ['true', 'false', '1', 'F'], bad: ['yes', 'on', ''] },
  'status.sidecar.istio.io/port': { good: ['15020', '0', ' 15030 '], bad: ['65536', '-1', 'http', ''] },
  'readiness.status.sidecar.istio.io/initialDelaySeconds': { good: ['0', '10'], bad: ['-1', '1.5', 'ten'] },
  'readiness.status.sidecar.istio.io/periodSeconds': { good: ['1', '4294967295'], bad: ['4294967296', 'x'] },
  'readiness.status.sidecar.istio.io/failureThreshold': { good: ['30'], bad: [' 3', '3s'] },
  'traffic.sidecar.istio.io/includeOutboundIPRanges': {
    good: ['*', '', '10.0.0.0/8', '10.0.0.0/8,fd00::/8'],
    bad: ['10.0.0.1', '300.0.0.0/8', '10.0.0.0/33', 'bad'],
  },
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': {
    good: ['', '192.168.0.0/16', '::1/128'],
    bad: ['*', '1.2.3.4/x'],
  },
  'traffic.sidecar.istio.io/includeInboundPorts': {
    good: ['*', '', '80,443', ' 8080 '],
    bad: ['http', '80;443', '70000'],
  },
  'traffic.sidecar.istio.io/excludeInboundPorts': { good: ['', '15020', '1,2,3'], bad: ['*', 'x', '1,,2'] },
  'traffic.sidecar.istio.io/includeOutboundPorts': { good: ['', '443'], bad: ['-443'] },
  'traffic.sidecar.istio.io/excludeOutboundPorts': { good: ['', '3306,5432'], bad: ['3306 5432'] },
  'prometheus.istio.io/merge-metrics': { good: ['true', 'false'], bad: ['maybe'] },
  'proxy.istio.io/config': {
    good: [
      '',
      'holdApplicationUntilProxyStarts: true',
      'concurrency: 2\nterminationDrainDuration: 10s',
      '{"proxyMetadata": {"A": "b"}}',
      'proxyStatsMatcher:\n  inclusionPrefixes: [a, b]',
      'tracing:\n  zipkin:\n    address: z:9411',
      'null',
    ],
    bad: ['[1, 2]', 'just a string', '{unclosed', 'a: [', '42', 'concurrency: [nope'],
  },
};

/** Other annotations the engine reads without validating (it must not choke on any value). */
const READ_KEYS = [
  'sidecar.istio.io/inject',
  'inject.istio.io/templates',
  'sidecar.istio.io/nativeSidecar',
  'sidecar.istio.io/rewriteAppHTTPProbers',
  'sidecar.istio.io/proxyImage',
  'sidecar.istio.io/proxyImageType',
  'sidecar.istio.io/proxyCPU',
  'sidecar.istio.io/proxyMemory',
  'sidecar.istio.io/proxyCPULimit',
  'sidecar.istio.io/proxyMemoryLimit',
  'sidecar.istio.io/logLevel',
  'sidecar.istio.io/componentLogLevel',
  'sidecar.istio.io/agentLogLevel',
  'sidecar.istio.io/bootstrapOverride',
  'sidecar.istio.io/userVolume',
  'sidecar.istio.io/userVolumeMount',
  'sidecar.istio.io/capNetBindService',
  'traffic.sidecar.istio.io/excludeInterfaces',
  'traffic.sidecar.istio.io/kubevirtInterfaces',
  'istio.io/reroute-virtual-interfaces',
  'prometheus.io/scrape',
  'prometheus.io/port',
  'prometheus.io/path',
  'kubectl.kubernetes.io/default-container',
  'k8s.v1.cni.cncf.io/networks',
  'proxy.istio.io/overrides',
  'sidecar.istio.io/status',
  'istio.io/rev',
];

const READ_VALUES = fc.oneof(
  fc.constantFrom(
    'true',
    'false',
    'sidecar',
    'gateway',
    'grpc-agent',
    'grpc-simple',
    'sidecar,grpc-agent',
    'nope',
    'distroless',
    'debug',
    '500m',
    '1Gi',
    'lots',
    '[{"name":"v","emptyDir":{}}]',
    '{"v":{"emptyDir":{}}}',
    '[{"name":"v","mountPath":"/v"}]',
    '[not json',
    '{"containers":[{"name":"istio-proxy"}]}',
    '{"containers":[{"name":"istio-proxy","image":"auto","env":[{"name":"X","value":"y"}]}]}',
    '{"containers":[{"name":"istio-proxy","env":"x","ports":{},"resources":[]}],"initContainers":[{"name":"istio-init","args":7}]}',
    '{"containers":[null,1,"istio-proxy",{},{"name":""}],"initContainers":{"name":"istio-init"}}',
    '{"containers":[{"name":"istio-proxy","env":[{"name":5,"value":{}}],"securityContext":{"runAsUser":"x"},"ports":[{"containerPort":"http"}]}]}',
    '{"initContainers":null,"containers":["istio-proxy"],"volumes":["x"],"imagePullSecrets":null,"revision":"default"}',
    'net1, net2',
    '[{"name":"net1"}]',
    'canary',
  ),
  nastyString,
);

export interface GeneratedAnnotations {
  annotations: Record<string, string>;
  /** Keys carrying a value the injector must reject. */
  invalid: string[];
}

/** Annotations with known-valid, known-invalid and arbitrary values for the keys the injector reads. */
export const annotations: fc.Arbitrary<GeneratedAnnotations> = fc
  .array(
    fc.oneof(
      fc.constantFrom(...Object.keys(VALIDATED)).chain((key) =>
        fc.oneof(
          fc.constantFrom(...VALIDATED[key].good).map((v) => ({ key, value: v, bad: false })),
          fc.constantFrom(...VALIDATED[key].bad).map((v) => ({ key, value: v, bad: true })),
        ),
      ),
      fc
        .tuple(fc.constantFrom(...READ_KEYS), READ_VALUES)
        .map(([key, value]) => ({ key, value, bad: false })),
      fc
        .tuple(fc.oneof(dnsLabel(10), nastyString), nastyString)
        .map(([key, value]) => ({ key, value, bad: false })),
    ),
    { maxLength: 6 },
  )
  .map((entries) => {
    const out: Record<string, string> = {};
    for (const e of entries) out[e.key] = e.value;
    // Later entries win, so decide invalidity from the final value.
    const invalid = Object.keys(VALIDATED).filter((k) => k in out && VALIDATED[k].bad.includes(out[k]));
    return { annotations: out, invalid };
  });

const labels = fc
  .record(
    {
      app: fc.oneof(dnsLabel(20), nastyString),
      version: fc.constantFrom('v1', 'v2', ''),
      'sidecar.istio.io/inject': fc.constantFrom('true', 'false', 'maybe'),
      'istio.io/rev': fc.constantFrom('default', 'canary', ''),
      'pod-template-hash': fc.constantFrom('5d9c6b7f8', 'abc'),
      'service.istio.io/canonical-name': dnsLabel(10),
      deploymentconfig: dnsLabel(8),
      'topology.istio.io/network': fc.constantFrom('net1', ''),
    },
    { requiredKeys: [] },
  )
  .map((r) => r as Record<string, string>);

const ownerReference: fc.Arbitrary<V1OwnerReference> = fc.record({
  apiVersion: fc.constantFrom('apps/v1', 'batch/v1', 'v1', 'example.com/v1'),
  kind: fc.constantFrom('ReplicaSet', 'Job', 'ReplicationController', 'StatefulSet', 'DaemonSet', 'Widget'),
  name: fc.oneof(
    dnsLabel(30),
    fc.constantFrom('web-5d9c6b7f8', 'backup-28790400', 'backup-1', 'x-abc'),
    dnsLabel(253),
  ),
  uid: fc.uuid(),
  controller: fc.boolean(),
});

const APP_NAMES = ['app', 'web', 'istio-proxy', 'istio-validation', 'sidecar'];
const INIT_NAMES = ['istio-init', 'setup', 'istio-proxy', 'migrate'];

export interface GeneratedPod {
  pod: V1Pod;
  invalid: string[];
}

/** A Pod a controller or a user could send (plus values the apiserver would refuse, e.g. unicode names). */
export const pod: fc.Arbitrary<GeneratedPod> = fc
  .record(
    {
      name: fc.oneof(dnsLabel(20), dnsLabel(253), fc.constant(''), nastyString),
      generateName: fc.option(
        fc.oneof(
          dnsLabel(20).map((n) => `${n}-`),
          nastyString,
        ),
        { nil: undefined },
      ),
      namespace: fc.option(dnsLabel(20), { nil: undefined }),
      labels,
      annotations,
      ownerReferences: fc.array(ownerReference, { maxLength: 2 }),
      containers: fc.uniqueArray(container(fc.oneof(fc.constantFrom(...APP_NAMES), dnsLabel(63))), {
        selector: (c) => c.name,
        minLength: 1,
        maxLength: 3,
      }),
      initContainers: fc.uniqueArray(container(fc.oneof(fc.constantFrom(...INIT_NAMES), dnsLabel(12))), {
        selector: (c) => c.name,
        maxLength: 2,
      }),
      hostNetwork: fc.boolean(),
      serviceAccountName: fc.option(dnsLabel(20), { nil: undefined }),
      volumes: fc.array(fc.record({ name: dnsLabel(10), emptyDir: fc.constant({}) }), { maxLength: 2 }),
      imagePullSecrets: fc.array(fc.record({ name: dnsLabel(10) }), { maxLength: 1 }),
    },
    { requiredKeys: ['name', 'labels', 'annotations', 'containers', 'initContainers'] },
  )
  // Container names are unique across containers and init containers (the apiserver refuses duplicates).
  .map((g) => ({
    ...g,
    initContainers: g.initContainers.filter((i) => !g.containers.some((c) => c.name === i.name)),
  }))
  .map((g) => {
    const p: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: g.name,
        ...(g.generateName !== undefined ? { generateName: g.generateName } : {}),
        ...(g.namespace !== undefined ? { namespace: g.namespace } : {}),
        labels: g.labels,
        annotations: g.annotations.annotations,
        ...(g.ownerReferences && g.ownerReferences.length ? { ownerReferences: g.ownerReferences } : {}),
      },
      spec: {
        containers: g.containers.map(userProxyWithoutPorts),
        ...(g.initContainers.length ? { initContainers: g.initContainers.map(userProxyWithoutPorts) } : {}),
        ...(g.hostNetwork !== undefined ? { hostNetwork: g.hostNetwork } : {}),
        ...(g.serviceAccountName !== undefined ? { serviceAccountName: g.serviceAccountName } : {}),
        ...(g.volumes?.length ? { volumes: g.volumes } : {}),
        ...(g.imagePullSecrets?.length ? { imagePullSecrets: g.imagePullSecrets } : {}),
      },
    };
    return { pod: apiserverShaped(p), invalid: g.annotations.invalid };
  });

/**
 * The pod as the apiserver sends it at admission: JSON (no undefined values) decoded through Go structs,
 * where every list and map field is `omitempty`, so empty lists and maps never arrive (`emptyDir: {}`
 * and other empty structs do).
 */
export function apiserverShaped<T>(v: T): T {
  const walk = (x: unknown, isMap: boolean): unknown => {
    if (Array.isArray(x)) return x.map((e) => walk(e, false));
    if (x === null || typeof x !== 'object') return x;
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(x)) {
      if (e === undefined) continue;
      if (Array.isArray(e) && e.length === 0) continue;
      const mapField = k === 'labels' || k === 'annotations';
      if (mapField && e !== null && typeof e === 'object' && Object.keys(e).length === 0) continue;
      out[k] = walk(e, mapField);
    }
    return isMap ? x : out;
  };
  return walk(JSON.parse(JSON.stringify(v)), false) as T;
}

/**
 * docs/injection.md, known gap: ports declared on a user's own istio-proxy container may move within
 * ISTIO_META_POD_PORTS on re-injection (as upstream's first injection is not stable there). Those ports
 * are left out so the idempotence property checks everything else.
 */
function userProxyWithoutPorts(c: V1Container): V1Container {
  if (c.name !== 'istio-proxy') return c;
  const copy = { ...c };
  delete copy.ports;
  return copy;
}

// ---------------------------------------------------------------------------------------------------
// Admission request bodies

/** Arbitrary JSON values, a few levels deep. */
export const jsonValue: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;

/** A value of the wrong type for whatever field it replaces. */
const wrongType: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, '', 'x', [], {}, [null], { '': null }),
  fc.integer().map((n): Json => n),
  jsonValue,
);

export function admissionReview(
  uid: string,
  object: Json,
  extra: Record<string, Json> = {},
): { [k: string]: Json } {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'fuzz',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
      ...extra,
    },
  };
}

/** Every JSON path (as keys) of a value, objects and arrays included. */
function paths(
  v: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

type Mutation =
  { kind: 'replace'; value: Json } | { kind: 'delete' } | { kind: 'add'; key: string; value: Json };

function mutate(root: Json, path: (string | number)[], m: Mutation): Json {
  if (path.length === 0) return m.kind === 'replace' ? m.value : m.kind === 'delete' ? null : root;
  const copy = JSON.parse(JSON.stringify(root)) as Json;
  let parent = copy as { [k: string]: Json } | Json[];
  for (const key of path.slice(0, -1))
    parent = (parent as Record<string | number, Json>)[key] as typeof parent;
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const i = last as number;
    if (m.kind === 'delete') parent.splice(i, 1);
    else if (m.kind === 'replace') parent[i] = m.value;
    else parent.push(m.value);
  } else {
    if (m.kind === 'delete') delete parent[last as string];
    else if (m.kind === 'replace') parent[last as string] = m.value;
    else parent[m.key] = m.value;
  }
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  wrongType.map((value): Mutation => ({ kind: 'replace', value })),
  fc.constant<Mutation>({ kind: 'delete' }),
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'valueOf', 'uid', 'object', ''),
        dnsLabel(6),
      ),
      wrongType,
    )
    .map(([key, value]): Mutation => ({ kind: 'add', key, value })),
);

/** `root` broken at 1..`max` random places (a value of another type, deleted, extra keys). */
export const brokenAt = (root: Json, max = 3): fc.Arbitrary<Json> =>
  fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: max }).map((ms) => {
    let v: Json = root;
    for (const [pick, m] of ms) {
      const all = paths(v);
      v = mutate(v, all[pick % all.length], m);
    }
    return v;
  });

/** A valid review of `object` broken at 1..3 random places (wrong type, deleted, extra keys). */
export const brokenReview = (uid: string, object: Json): fc.Arbitrary<Json> =>
  brokenAt(admissionReview(uid, object));

/** `depth` nested arrays or objects around a leaf (JSON text, built iteratively). */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? '['.repeat(depth) + '1' + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}
