// The pod shapes of the benchmarks, built as the apiserver hands them to a mutating webhook: defaulted
// fields filled in and the ServiceAccount admission plugin's token volume already added (built-in
// admission runs before the webhooks). Bookinfo pods come from upstream's sample Deployments, read at
// run time from ../shared (not copied into the repository).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1Deployment, V1EnvVar, V1Pod, V1Volume } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export const BENCH_NAMESPACE = 'bench';

export interface PodShape {
  /** Short name used in reports ("bookinfo/details-v1", "env-1000", ...). */
  name: string;
  pod: V1Pod;
}

export function bookinfoYamlPath(root: string): string {
  const dir =
    process.env.BOOKINFO_DIR ??
    join(root, '..', 'shared', 'reference', 'istio-1.30.3', 'samples', 'bookinfo');
  return join(dir, 'platform', 'kube', 'bookinfo.yaml');
}

/** The Deployments of the Bookinfo sample. */
export function bookinfoDeployments(root: string): V1Deployment[] {
  const text = readFileSync(bookinfoYamlPath(root), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((o): o is V1Deployment => (o as { kind?: unknown } | null)?.kind === 'Deployment');
}

const pseudoHash = (s: string): string => {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(36).slice(0, 5).padEnd(5, 'x');
};

/** Fields the apiserver defaults on every container. */
function defaultContainer(c: V1Container): V1Container {
  return {
    imagePullPolicy: 'IfNotPresent',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    resources: {},
    ...c,
    ports: c.ports?.map((p) => ({ protocol: 'TCP', ...p })),
    volumeMounts: [
      ...(c.volumeMounts ?? []),
      {
        name: 'kube-api-access-bench',
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
        readOnly: true,
      },
    ],
  };
}

/** A pod as a ReplicaSet of `deploymentName` creates it, after defaulting and ServiceAccount admission. */
export function admittedPod(
  deploymentName: string,
  template: { labels?: Record<string, string>; annotations?: Record<string, string> },
  spec: { serviceAccountName?: string; containers: V1Container[]; volumes?: V1Volume[] },
): V1Pod {
  const rs = `${deploymentName}-${pseudoHash(deploymentName)}9f`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs}-`,
      namespace: BENCH_NAMESPACE,
      labels: { ...template.labels, 'pod-template-hash': `${pseudoHash(deploymentName)}9f` },
      ...(template.annotations ? { annotations: template.annotations } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs,
          uid: '6d1c9a40-3f7e-4a0b-9c55-2b1e0f0d8a11',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      serviceAccountName: spec.serviceAccountName ?? 'default',
      serviceAccount: spec.serviceAccountName ?? 'default',
      containers: spec.containers.map(defaultContainer),
      volumes: [
        ...(spec.volumes ?? []),
        {
          name: 'kube-api-access-bench',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              {
                downwardAPI: {
                  items: [
                    { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                  ],
                },
              },
            ],
          },
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    },
  };
}

export function bookinfoPods(root: string): PodShape[] {
  return bookinfoDeployments(root).map((d) => {
    const name = d.metadata?.name ?? 'bookinfo';
    const t = d.spec?.template;
    return {
      name: `bookinfo/${name}`,
      pod: admittedPod(name, t?.metadata ?? {}, {
        serviceAccountName: t?.spec?.serviceAccountName,
        containers: t?.spec?.containers ?? [],
        volumes: t?.spec?.volumes,
      }),
    };
  });
}

/** An application container with the usual trimmings: ports, resources, probes, a few env vars. */
function appContainer(i: number, env: V1EnvVar[] = []): V1Container {
  return {
    name: `app-${i}`,
    image: `registry.example/app-${i}:1.0.${i}`,
    ports: [{ name: `http-${i}`, containerPort: 8000 + i }],
    env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'INSTANCE', value: String(i) }, ...env],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    readinessProbe: { httpGet: { path: '/ready', port: 8000 + i }, periodSeconds: 5 },
    livenessProbe: { tcpSocket: { port: 8000 + i }, periodSeconds: 10 },
  };
}

function syntheticPod(name: string, containers: V1Container[]): PodShape {
  return {
    name,
    pod: admittedPod(
      name,
      { labels: { app: name, version: 'v1' } },
      { serviceAccountName: name, containers },
    ),
  };
}

export function syntheticPods(): PodShape[] {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const manyEnv = range(1000).map((i) => ({ name: `SETTING_${i}`, value: `value-${i}-${'x'.repeat(24)}` }));
  return [
    syntheticPod(
      'containers-10',
      range(10).map((i) => appContainer(i)),
    ),
    syntheticPod('env-1000', [appContainer(0, manyEnv)]),
    syntheticPod(
      'containers-100',
      range(100).map((i) => appContainer(i)),
    ),
  ];
}

/** The AdmissionReview v1 the apiserver POSTs for the CREATE of `pod`. */
export function admissionReview(pod: V1Pod, uid: string): Record<string, unknown> {
  const gvk = { group: '', version: 'v1', kind: 'Pod' };
  const gvr = { group: '', version: 'v1', resource: 'pods' };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      namespace: pod.metadata?.namespace ?? BENCH_NAMESPACE,
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: '0b8e3d1c-5a2f-4f1e-8a6b-3c2d1e0f9a87',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}
