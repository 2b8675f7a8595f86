// Volumes istiod adds to the pod and the matching istio-proxy mounts: SPIFFE workload sockets and
// certificates, the Envoy SDS channel (memory emptyDir), agent data, pod labels/annotations via the
// downward API, the istio-ca audience token, the mesh root CA ConfigMap and the optional CRL.
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { A } from './annotations';
import type { TemplateContext } from './context';
import { jsonObjectEntries } from './json-object-annotation';

export type VolumeFlavor = 'sidecar' | 'gateway' | 'grpc-agent';

const GKE_CA = 'GkeWorkloadCertificate';

export function proxyVolumeMounts(ctx: TemplateContext, flavor: VolumeFlavor): V1VolumeMount[] {
  const g = ctx.values.global;
  const m: V1VolumeMount[] = [{ name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' }];
  if (flavor !== 'grpc-agent')
    m.push({ name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' });
  m.push(workloadCertsMount(ctx));
  if (g.pilotCertProvider === 'istiod') {
    m.push({ mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' });
    if (flavor === 'sidecar') m.push({ mountPath: '/var/run/secrets/istio/crl', name: 'istio-ca-crl' });
  }
  m.push({ mountPath: '/var/lib/istio/data', name: 'istio-data' });
  if (flavor !== 'grpc-agent' && ctx.annotations[A.bootstrapOverride] !== undefined) {
    m.push({ mountPath: '/etc/istio/custom-bootstrap', name: 'custom-bootstrap-volume' });
  }
  m.push({ mountPath: '/etc/istio/proxy', name: flavor === 'grpc-agent' ? 'istio-xds' : 'istio-envoy' });
  m.push({ mountPath: '/var/run/secrets/tokens', name: 'istio-token' });
  if (g.mountMtlsCerts) m.push({ mountPath: '/etc/certs/', name: 'istio-certs', readOnly: true });
  m.push({ name: 'istio-podinfo', mountPath: '/etc/istio/pod' });
  const caCerts = lightstepCaDir(ctx);
  if (flavor === 'sidecar' && caCerts)
    m.push({ mountPath: caCerts, name: 'lightstep-certs', readOnly: true });
  if (flavor !== 'gateway') m.push(...userEntries<V1VolumeMount>(ctx.annotations[A.userVolumeMount]));
  return m;
}

export function workloadCertsMount(ctx: TemplateContext): V1VolumeMount {
  return ctx.values.global.caName === GKE_CA
    ? {
        name: 'gke-workload-certificate',
        mountPath: '/var/run/secrets/workload-spiffe-credentials',
        readOnly: true,
      }
    : { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' };
}

export function podVolumes(ctx: TemplateContext, flavor: VolumeFlavor): V1Volume[] {
  const g = ctx.values.global;
  // The sidecar template leaves these sources empty (the API server defaults them to emptyDir).
  const v: V1Volume[] = [{ name: 'workload-socket' }];
  if (flavor === 'sidecar') v.push({ name: 'credential-socket' });
  if (flavor === 'gateway') v.push({ emptyDir: {}, name: 'credential-socket' });
  if (g.caName === GKE_CA) {
    v.push({
      name: 'gke-workload-certificate',
      csi: { driver: 'workloadcertificates.security.cloud.google.com' },
    });
  } else {
    v.push(flavor === 'gateway' ? { emptyDir: {}, name: 'workload-certs' } : { name: 'workload-certs' });
  }
  const bootstrap = ctx.annotations[A.bootstrapOverride];
  if (bootstrap !== undefined) v.push({ name: 'custom-bootstrap-volume', configMap: { name: bootstrap } });
  v.push({ emptyDir: { medium: 'Memory' }, name: flavor === 'grpc-agent' ? 'istio-xds' : 'istio-envoy' });
  v.push({ name: 'istio-data', emptyDir: {} });
  v.push({
    name: 'istio-podinfo',
    downwardAPI: {
      items: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
      ],
    },
  });
  v.push({
    name: 'istio-token',
    projected: {
      sources: [
        {
          serviceAccountToken: {
            path: 'istio-token',
            expirationSeconds: 43200,
            audience: g.sds?.token?.aud ?? '',
          },
        },
      ],
    },
  });
  if (g.pilotCertProvider === 'istiod') v.push(rootCertVolume(ctx));
  if (flavor === 'sidecar') {
    const crl = (ctx.values.pilot.crlConfigMapName as string | undefined) || 'istio-ca-crl';
    v.push({ name: 'istio-ca-crl', configMap: { name: crl, optional: true } });
  }
  if (g.mountMtlsCerts) {
    const sa = ctx.spec.serviceAccountName;
    v.push({
      name: 'istio-certs',
      secret: { optional: true, secretName: sa ? `istio.${sa}` : 'istio.default' },
    });
  }
  if (flavor !== 'gateway') v.push(...userEntries<V1Volume>(ctx.annotations[A.userVolume]));
  if (flavor === 'sidecar' && lightstepCaDir(ctx)) {
    v.push({ name: 'lightstep-certs', secret: { optional: true, secretName: 'lightstep.cacert' } });
  }
  return v;
}

function rootCertVolume(ctx: TemplateContext): V1Volume {
  const bundle = ctx.values.global.trustBundleName;
  if (ctx.values.pilot.env?.ENABLE_CLUSTER_TRUST_BUNDLE_API === true) {
    return {
      name: 'istiod-ca-cert',
      projected: {
        sources: [
          {
            clusterTrustBundle: {
              name: `istio.io:istiod-ca:${bundle || 'root-cert'}`,
              path: 'root-cert.pem',
            },
          },
        ],
      },
    };
  }
  return { name: 'istiod-ca-cert', configMap: { name: bundle || 'istio-ca-root-cert' } };
}

function lightstepCaDir(ctx: TemplateContext): string {
  if (ctx.values.global.proxy.tracer !== 'lightstep') return '';
  const ca = ctx.proxyConfig.tracing?.tlsSettings?.caCertificates;
  if (!ca) return '';
  const i = ca.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : ca.slice(0, i);
}

/** sidecar.istio.io/userVolume(Mount): a JSON object of name -> spec, emitted sorted by name. */
function userEntries<T>(raw: string | undefined): T[] {
  return jsonObjectEntries(raw).map(([name, spec]) => ({ name, ...(spec as object) }) as T);
}
