// JSON text of Kubernetes objects in the field order and omission rules of the Go API structs. istiod
// writes some JSON into annotations and env values (proxy.istio.io/overrides, ISTIO_META_POD_PORTS,
// ISTIO_KUBE_APP_PROBERS); a proxy and the conformance suite read them as text, so the order matters.

// 'pointer': a Go pointer field with omitempty, omitted only when nil (an empty string is kept).
type Schema = readonly (readonly [
  field: string,
  type?: string,
  flags?: 'always' | 'omitzero' | 'map' | 'pointer',
])[];

const SCHEMAS: Readonly<Record<string, Schema>> = {
  Container: [
    ['name', undefined, 'always'],
    ['image'],
    ['command'],
    ['args'],
    ['workingDir'],
    ['ports', 'ContainerPort'],
    ['envFrom'],
    ['env', 'EnvVar'],
    ['resources', 'ResourceRequirements', 'always'],
    ['resizePolicy'],
    ['restartPolicy'],
    ['restartPolicyRules'],
    ['volumeMounts', 'VolumeMount'],
    ['volumeDevices'],
    ['livenessProbe', 'Probe'],
    ['readinessProbe', 'Probe'],
    ['startupProbe', 'Probe'],
    ['lifecycle', 'Lifecycle'],
    ['terminationMessagePath'],
    ['terminationMessagePolicy'],
    ['imagePullPolicy'],
    ['securityContext', 'SecurityContext'],
    ['stdin', undefined, 'omitzero'],
    ['stdinOnce', undefined, 'omitzero'],
    ['tty', undefined, 'omitzero'],
  ],
  ContainerPort: [
    ['name'],
    ['hostPort', undefined, 'omitzero'],
    ['containerPort', undefined, 'always'],
    ['protocol'],
    ['hostIP'],
  ],
  EnvVar: [['name', undefined, 'always'], ['value'], ['valueFrom', 'EnvVarSource']],
  EnvVarSource: [
    ['fieldRef', 'ObjectFieldSelector'],
    ['resourceFieldRef', 'ResourceFieldSelector'],
    ['configMapKeyRef'],
    ['secretKeyRef'],
    ['fileKeyRef'],
  ],
  ObjectFieldSelector: [['apiVersion'], ['fieldPath', undefined, 'always']],
  ResourceFieldSelector: [['containerName'], ['resource', undefined, 'always'], ['divisor']],
  ResourceRequirements: [['limits', undefined, 'map'], ['requests', undefined, 'map'], ['claims']],
  VolumeMount: [
    ['name', undefined, 'always'],
    ['readOnly', undefined, 'omitzero'],
    ['recursiveReadOnly'],
    ['mountPath', undefined, 'always'],
    ['subPath'],
    ['mountPropagation'],
    ['subPathExpr'],
  ],
  Probe: [
    ['exec', 'ExecAction'],
    ['httpGet', 'HTTPGetAction'],
    ['tcpSocket', 'TCPSocketAction'],
    ['grpc', 'GRPCAction'],
    ['initialDelaySeconds', undefined, 'omitzero'],
    ['timeoutSeconds', undefined, 'omitzero'],
    ['periodSeconds', undefined, 'omitzero'],
    ['successThreshold', undefined, 'omitzero'],
    ['failureThreshold', undefined, 'omitzero'],
    ['terminationGracePeriodSeconds'],
  ],
  ExecAction: [['command']],
  HTTPGetAction: [
    ['path'],
    ['port', undefined, 'always'],
    ['host'],
    ['scheme'],
    ['httpHeaders', 'HTTPHeader'],
  ],
  HTTPHeader: [
    ['name', undefined, 'always'],
    ['value', undefined, 'always'],
  ],
  TCPSocketAction: [['port', undefined, 'always'], ['host']],
  GRPCAction: [
    ['port', undefined, 'always'],
    ['service', undefined, 'pointer'],
  ],
  Lifecycle: [['postStart', 'LifecycleHandler'], ['preStop', 'LifecycleHandler'], ['stopSignal']],
  LifecycleHandler: [
    ['exec', 'ExecAction'],
    ['httpGet', 'HTTPGetAction'],
    ['tcpSocket', 'TCPSocketAction'],
    ['sleep'],
  ],
  SecurityContext: [
    ['capabilities', 'Capabilities'],
    ['privileged'],
    ['seLinuxOptions'],
    ['windowsOptions'],
    ['runAsUser'],
    ['runAsGroup'],
    ['runAsNonRoot'],
    ['readOnlyRootFilesystem'],
    ['allowPrivilegeEscalation'],
    ['procMount'],
    ['seccompProfile', 'SeccompProfile'],
    ['appArmorProfile'],
  ],
  Capabilities: [['add'], ['drop']],
  SeccompProfile: [['type', undefined, 'always'], ['localhostProfile']],
  /** istio's record of an app probe the agent takes over (ISTIO_KUBE_APP_PROBERS values). */
  Prober: [
    ['httpGet', 'HTTPGetAction'],
    ['tcpSocket', 'TCPSocketAction'],
    ['grpc', 'GRPCAction'],
    ['timeoutSeconds', undefined, 'omitzero'],
  ],
};

export type GoType = keyof typeof SCHEMAS;

/** Serializes `value` as Go's encoding/json would serialize the named core/v1 type. */
export function goJson(value: unknown, type: GoType): string {
  return encode(value, type);
}

function encode(value: unknown, type: string | undefined): string {
  if (Array.isArray(value)) return `[${value.map((v) => encode(v, type)).join(',')}]`;
  const schema = type ? SCHEMAS[type] : undefined;
  if (!schema || value === null || typeof value !== 'object') return plain(value);
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const [field, sub, flag] of schema) {
    const v = obj[field];
    if (v === undefined || v === null) {
      if (flag === 'always') parts.push(`${JSON.stringify(field)}:${sub ? '{}' : '""'}`);
      continue;
    }
    if (flag === 'omitzero' && (v === 0 || v === false || v === '')) continue;
    if (flag !== 'always' && flag !== 'pointer' && isEmpty(v)) continue;
    parts.push(`${JSON.stringify(field)}:${flag === 'map' ? sortedMap(v) : encode(v, sub)}`);
  }
  return `{${parts.join(',')}}`;
}

// Go omits empty slices/maps/strings under omitempty.
function isEmpty(v: unknown): boolean {
  if (v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

function sortedMap(v: unknown): string {
  if (v === null || typeof v !== 'object') return plain(v);
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${plain(o[k])}`)
    .join(',')}}`;
}

// Untyped values: Go marshals maps with sorted keys.
function plain(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(plain).join(',')}]`;
  if (v !== null && typeof v === 'object') return sortedMap(v);
  return JSON.stringify(v) ?? 'null';
}
