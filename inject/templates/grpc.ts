// Proxyless gRPC templates. `grpc-simple`: a bootstrap-writing init container and the bootstrap path in
// every app container. `grpc-agent`: pilot-agent without Envoy (DISABLE_ENVOY) serving xDS/SDS to the
// app over a shared UDS volume, the app containers pointed at its bootstrap.
import type { V1Container } from '@kubernetes/client-node';
import { A } from '../annotations';
import { ann, PROXY_CONTAINER, type TemplateContext } from '../context';
import { proxyEnv } from '../env';
import { containerImage } from '../images';
import { canonicalLabels, revisionAndDefaultContainer } from '../pod-metadata';
import { proxyArgs, readinessProbe } from '../proxy-container';
import { proxyResources } from '../resources';
import { podVolumes, proxyVolumeMounts, workloadCertsMount } from '../volumes';
import { imagePullSecrets, type TemplatePod } from './types';

const BOOTSTRAP_VOLUME = 'grpc-io-proxyless-bootstrap';

// The init container's script: a gRPC xDS bootstrap pointing at istiod's plaintext port.
function bootstrapScript(): string {
  const lines = [
    'NODE_ID="sidecar~${INSTANCE_IP}~${POD_NAME}.${POD_NAMESPACE}~cluster.local"',
    'SERVER_URI="dns:///istiod.${ISTIO_NAMESPACE}.svc:15010"',
    "echo '",
    '{',
    '  "xds_servers": [',
    '    {',
    `      "server_uri": "'\${SERVER_URI}'",`,
    '      "channel_creds": [{"type": "insecure"}],',
    '      "server_features" : ["xds_v3"]',
    '    }',
    '  ],',
    '  "node": {',
    `    "id": "'\${NODE_ID}'",`,
    '    "metadata": {',
    '      "GENERATOR": "grpc"',
    '    }',
    '  }',
    "}' > /var/lib/grpc/data/bootstrap.json",
  ];
  return lines.join('\n');
}

export function grpcSimpleTemplate(ctx: TemplateContext): TemplatePod {
  const mount = { mountPath: '/var/lib/grpc/data/', name: BOOTSTRAP_VOLUME };
  const init: V1Container = {
    name: 'grpc-bootstrap-init',
    image: 'busybox:1.28',
    volumeMounts: [{ ...mount }],
    env: [
      { name: 'INSTANCE_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'ISTIO_NAMESPACE', value: `${ctx.values.global.istioNamespace ?? ''}\n` },
    ],
    command: ['sh', '-c', bootstrapScript()],
  };
  const apps: V1Container[] = (ctx.spec.containers ?? []).map((c) => ({
    name: c.name,
    env: [
      { name: 'GRPC_XDS_BOOTSTRAP', value: '/var/lib/grpc/data/bootstrap.json' },
      { name: 'GRPC_GO_LOG_VERBOSITY_LEVEL', value: '99' },
      { name: 'GRPC_GO_LOG_SEVERITY_LEVEL', value: 'info' },
    ],
    volumeMounts: [{ ...mount }],
  }));
  return {
    metadata: { annotations: { [A.rewriteAppHTTPProbers]: 'false' } },
    spec: {
      initContainers: [init],
      containers: apps,
      volumes: [{ name: BOOTSTRAP_VOLUME, emptyDir: {} }],
    },
  };
}

export function grpcAgentTemplate(ctx: TemplateContext): TemplatePod {
  const g = ctx.values.global;
  const proxy: V1Container = {
    name: PROXY_CONTAINER,
    image: containerImage(ann(ctx, A.proxyImage, g.proxy.image), ctx.proxyImage),
    ports: [{ containerPort: 15020, protocol: 'TCP', name: 'mesh-metrics' }],
    args: proxyArgs(ctx, 'sidecar'),
    lifecycle: {
      postStart: { exec: { command: ['pilot-agent', 'wait', '--url=http://localhost:15020/healthz/ready'] } },
    },
    env: proxyEnv(ctx, 'grpc-agent'),
  };
  if (g.imagePullPolicy) proxy.imagePullPolicy = g.imagePullPolicy;
  // The template only renders probe, resources and mounts when the status port is on.
  if (ctx.statusPort !== '0') {
    proxy.readinessProbe = readinessProbe(ctx, 15020, true);
    proxy.resources = proxyResources(ctx);
    proxy.volumeMounts = proxyVolumeMounts(ctx, 'grpc-agent');
  }
  const apps: V1Container[] = [];
  for (const c of ctx.spec.containers ?? []) {
    if (c.name === PROXY_CONTAINER) continue;
    apps.push({
      name: c.name,
      env: [
        { name: 'GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT', value: 'true' },
        { name: 'GRPC_XDS_BOOTSTRAP', value: '/etc/istio/proxy/grpc-bootstrap.json' },
      ],
      volumeMounts: [
        { mountPath: '/var/lib/istio/data', name: 'istio-data' },
        { mountPath: '/etc/istio/proxy', name: 'istio-xds' },
        workloadCertsMount(ctx),
      ],
    });
  }
  const pod: TemplatePod = {
    metadata: {
      labels: canonicalLabels(ctx, false),
      annotations: { ...revisionAndDefaultContainer(ctx), [A.rewriteAppHTTPProbers]: 'false' },
    },
    spec: { containers: [proxy, ...apps], volumes: podVolumes(ctx, 'grpc-agent') },
  };
  const secrets = imagePullSecrets(ctx);
  if (secrets) pod.spec.imagePullSecrets = secrets;
  return pod;
}
