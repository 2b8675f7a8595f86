// Built-in installation profiles as typed IstioOperator specs. Facts from Istio 1.30's profiles: `default`
// enables base, pilot and the ingress gateway; `demo` adds the egress gateway, stdout access logs, 100%
// trace sampling, no autoscaling and small requests; `minimal` is base + pilot; `empty` renders nothing.
// Every profile starts from `default` (as istioctl does), so `demo`/`minimal`/`empty` are deltas on it.
import type { IstioOperatorSpec } from './types';

export const SUPPORTED_PROFILES = ['default', 'demo', 'minimal', 'empty'] as const;
export type ProfileName = (typeof SUPPORTED_PROFILES)[number];

/** Upstream profiles Meshwright does not implement yet (they need ambient, remote istiod or OpenShift). */
export const UNSUPPORTED_PROFILES: readonly string[] = [
  'remote',
  'ambient',
  'preview',
  'stable',
  'openshift',
  'openshift-ambient',
];

export class ProfileError extends Error {}

function defaultProfile(): IstioOperatorSpec {
  return {
    components: {
      base: { enabled: true },
      pilot: { enabled: true },
      ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }],
      egressGateways: [{ name: 'istio-egressgateway', enabled: false }],
    },
    values: {
      defaultRevision: '',
      global: { istioNamespace: 'istio-system', configValidation: true },
      gateways: { 'istio-ingressgateway': {}, 'istio-egressgateway': {} },
    },
  };
}

// Small requests everywhere so the demo fits a laptop cluster.
const small = (memory: string) => ({ requests: { cpu: '10m', memory } });
// The OpenTelemetry/Zipkin-style providers istio.io's tasks expect in the demo profile.
const demoProviders = [
  {
    name: 'otel',
    envoyOtelAls: { service: 'opentelemetry-collector.observability.svc.cluster.local', port: 4317 },
  },
  { name: 'skywalking', skywalking: { service: 'tracing.istio-system.svc.cluster.local', port: 11800 } },
  {
    name: 'otel-tracing',
    opentelemetry: { port: 4317, service: 'opentelemetry-collector.observability.svc.cluster.local' },
  },
  {
    name: 'jaeger',
    opentelemetry: { port: 4317, service: 'jaeger-collector.istio-system.svc.cluster.local' },
  },
];

function demoDelta(): IstioOperatorSpec {
  return {
    components: { egressGateways: [{ name: 'istio-egressgateway', enabled: true }] },
    meshConfig: { accessLogFile: '/dev/stdout', extensionProviders: demoProviders },
    values: {
      global: { proxy: { resources: small('40Mi') }, waypoint: { resources: small('40Mi') } },
      pilot: { autoscaleEnabled: false, traceSampling: 100, resources: small('100Mi') },
      cni: { resources: small('40Mi') },
      ztunnel: { resources: small('40Mi') },
      gateways: {
        'istio-egressgateway': { autoscaleEnabled: false, resources: small('40Mi') },
        'istio-ingressgateway': {
          autoscaleEnabled: false,
          // The demo exposes extra ports used by istio.io tasks; status-port first for cloud LB health checks.
          ports: [
            { port: 15021, targetPort: 15021, name: 'status-port' },
            { port: 80, targetPort: 8080, name: 'http2' },
            { port: 443, targetPort: 8443, name: 'https' },
            { port: 31400, targetPort: 31400, name: 'tcp' },
            { port: 15443, targetPort: 15443, name: 'tls' },
          ],
          resources: small('40Mi'),
        },
      },
    },
  };
}

function minimalDelta(): IstioOperatorSpec {
  return { components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }] } };
}

function emptyDelta(): IstioOperatorSpec {
  return {
    components: {
      base: { enabled: false },
      pilot: { enabled: false },
      ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }],
    },
  };
}

export function isSupportedProfile(name: string): name is ProfileName {
  return (SUPPORTED_PROFILES as readonly string[]).includes(name);
}

/** The layers a profile consists of, merged in order (the `default` profile first). Fresh objects each call. */
export function profileLayers(name: string): IstioOperatorSpec[] {
  if (!isSupportedProfile(name)) {
    if (UNSUPPORTED_PROFILES.includes(name)) {
      throw new ProfileError(
        `profile ${JSON.stringify(name)} is not supported by Meshwright yet (supported: ${SUPPORTED_PROFILES.join(', ')})`,
      );
    }
    throw new ProfileError(
      `unknown profile ${JSON.stringify(name)} (supported: ${SUPPORTED_PROFILES.join(', ')}; ` +
        `known but not implemented: ${UNSUPPORTED_PROFILES.join(', ')})`,
    );
  }
  const layers = [defaultProfile()];
  if (name === 'demo') layers.push(demoDelta());
  if (name === 'minimal') layers.push(minimalDelta());
  if (name === 'empty') layers.push(emptyDelta());
  return layers;
}
