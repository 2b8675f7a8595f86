// What both istiod suites make a running istiod do against an install, each returning what the tests assert
// on: its start-up log, its validating webhook judging VirtualServices, and its Gateway API deployment
// controller giving a Gateway of class istio its Deployment and Service.
import {
  ApiException,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1Container,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import { appsApi, coreApi, kubeConfig, uniqueName, waitFor } from './cluster';
import { ISTIOD_VERSION, unexpectedErrors } from './istiod';

/**
 * The start-up log checks both suites make: the stamped version, the line format the error filter relies on
 * (else the filter would prove nothing), the injector initialized from installed templates, and no
 * error-level line that is not a known benign one.
 */
export function expectCleanStart(log: string): void {
  expect(log).toContain(`version: ${ISTIOD_VERSION}-`);
  expect(log).toMatch(/^\S+\tinfo\t/m);
  expect(log).toContain('initializing sidecar injector');
  expect(log).not.toContain('injection templates are empty');
  expect(unexpectedErrors(log)).toEqual([]);
}

export interface VirtualServiceVerdicts {
  /** The dry-run rejection of an invalid VirtualService, once the webhook answers. */
  rejected: string;
  /** The error creating that invalid VirtualService for real (undefined: it was created). */
  invalid: string | undefined;
  /** The error creating a valid one (undefined: it was created). */
  valid: string | undefined;
}

/**
 * Creates an invalid VirtualService (an unclosed regex) and a valid one in `namespace`. A webhook takes effect
 * a little after it is registered: dry runs are retried for 30 s until an error names `webhookName`.
 */
export async function virtualServiceVerdicts(o: {
  namespace: string;
  labels?: Record<string, string>;
  webhookName: string;
}): Promise<VirtualServiceVerdicts> {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig());
  const vs = (name: string, regex: string): KubernetesObject & { spec: unknown } => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: o.namespace, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      hosts: ['reviews'],
      http: [{ match: [{ uri: { regex } }], route: [{ destination: { host: 'reviews' } }] }],
    },
  });
  const createError = (obj: KubernetesObject, dryRun: boolean) =>
    objects.create(obj, undefined, dryRun ? 'All' : undefined).then(
      () => undefined,
      (err: unknown) => (err instanceof ApiException ? String(err.body) : String(err)),
    );
  const rejected = await waitFor(
    async () => {
      const e = await createError(vs('invalid', '(unclosed'), true);
      return e?.includes(o.webhookName) ? e : undefined;
    },
    30_000,
    `the validating webhook ${o.webhookName} to reject an invalid VirtualService`,
  );
  return {
    rejected,
    invalid: await createError(vs('invalid', '(unclosed'), false),
    valid: await createError(vs('valid', '/reviews/[0-9]+'), false),
  };
}

export interface GatewayDeployment {
  /** The Gateway's name. */
  gateway: string;
  /** `<gateway>-istio`, once it has an available replica. */
  deployment: V1Deployment;
  proxy: V1Container | undefined;
  service: V1Service;
}

/** Creates a Gateway API Gateway of class istio (one HTTP listener on 80) in `namespace`; returns its name. */
export async function createIstioGateway(
  namespace: string,
  labels?: Record<string, string>,
): Promise<string> {
  const gateway = uniqueName('gw');
  await KubernetesObjectApi.makeApiClient(kubeConfig()).create({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: gateway, namespace, ...(labels ? { labels } : {}) },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  } as KubernetesObject);
  return gateway;
}

/**
 * Waits up to `timeoutMs` for the Deployment istiod renders for Gateway `gateway` (from the kube-gateway
 * template; it names it and its Service `<gateway>-istio`) to have an available replica.
 */
export async function gatewayDeploymentOf(
  namespace: string,
  gateway: string,
  timeoutMs = 120_000,
): Promise<GatewayDeployment> {
  const name = `${gateway}-istio`;
  const deployment = await waitFor(
    async () => {
      const d = await appsApi().readNamespacedDeployment({ name, namespace });
      return (d.status?.availableReplicas ?? 0) >= 1 && d;
    },
    timeoutMs,
    `Deployment ${name} available`,
    500,
  );
  return {
    gateway,
    deployment,
    proxy: deployment.spec?.template.spec?.containers.find((c) => c.name === 'istio-proxy'),
    service: await coreApi().readNamespacedService({ name, namespace }),
  };
}

/** A Gateway of class istio in `namespace` and, within 2 min, its available Deployment and Service. */
export async function gatewayDeployment(namespace: string): Promise<GatewayDeployment> {
  return gatewayDeploymentOf(namespace, await createIstioGateway(namespace));
}
