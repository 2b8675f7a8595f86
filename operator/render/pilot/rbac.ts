// istiod's identity and permissions: its ServiceAccount, the cluster-wide roles (config, discovery,
// webhooks, Gateway API, multicluster), the gateway-controller role for auto-deployed gateways, the
// shared reader role for multicluster remote secrets, and the namespaced Role (CA secrets, leases).
import type { V1PolicyRule } from '@kubernetes/client-node';
import { revisioned, type RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import { clusterRole, clusterRoleBinding, role, roleBinding, rule, serviceAccount } from '../rbac';
import type { ManifestObject } from '../types';

const ISTIO_CONFIG_GROUPS = [
  'config.istio.io',
  'security.istio.io',
  'networking.istio.io',
  'authentication.istio.io',
  'rbac.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
];
const READ = ['get', 'list', 'watch'];
const WRITE_ALL = ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'];

function istiodRules(): V1PolicyRule[] {
  return [
    rule(
      ['admissionregistration.k8s.io'],
      ['mutatingwebhookconfigurations'],
      ['get', 'list', 'watch', 'update', 'patch'],
    ),
    rule(
      ['admissionregistration.k8s.io'],
      ['validatingwebhookconfigurations'],
      ['get', 'list', 'watch', 'update'],
    ),
    rule(ISTIO_CONFIG_GROUPS, ['*'], ['get', 'watch', 'list']),
    rule(['networking.istio.io'], ['workloadentries'], WRITE_ALL),
    rule(['networking.istio.io'], ['workloadentries/status', 'serviceentries/status'], WRITE_ALL),
    rule(['security.istio.io'], ['authorizationpolicies/status'], WRITE_ALL),
    rule([''], ['services/status'], WRITE_ALL),
    rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
    rule([''], ['pods', 'nodes', 'services', 'namespaces', 'endpoints'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['networking.k8s.io'], ['ingresses', 'ingressclasses'], READ),
    rule(['networking.k8s.io'], ['ingresses/status'], ['*']),
    // istiod writes istio-ca-root-cert into every namespace.
    rule([''], ['configmaps'], ['create', 'get', 'list', 'watch', 'update']),
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    rule(['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'], ['*'], ['get', 'watch', 'list']),
    rule(['gateway.networking.x-k8s.io'], ['xbackendtrafficpolicies/status'], ['update', 'patch']),
    rule(
      ['gateway.networking.k8s.io'],
      [
        'backendtlspolicies/status',
        'gatewayclasses/status',
        'gateways/status',
        'grpcroutes/status',
        'httproutes/status',
        'referencegrants/status',
        'tcproutes/status',
        'tlsroutes/status',
        'udproutes/status',
        'listenersets/status',
      ],
      ['update', 'patch'],
    ),
    rule(['gateway.networking.k8s.io'], ['gatewayclasses'], ['create', 'update', 'patch', 'delete']),
    rule(['inference.networking.k8s.io'], ['inferencepools'], ['get', 'watch', 'list']),
    rule(['inference.networking.k8s.io'], ['inferencepools/status'], ['update', 'patch']),
    rule([''], ['secrets'], ['get', 'watch', 'list']),
    rule(['multicluster.x-k8s.io'], ['serviceexports'], ['get', 'watch', 'list', 'create', 'delete']),
    rule(['multicluster.x-k8s.io'], ['serviceimports'], ['get', 'watch', 'list']),
  ];
}

function gatewayControllerRules(): V1PolicyRule[] {
  return [
    rule(['apps'], ['deployments'], WRITE_ALL),
    rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE_ALL),
    rule(['policy'], ['poddisruptionbudgets'], WRITE_ALL),
    rule([''], ['services'], WRITE_ALL),
    rule([''], ['serviceaccounts'], WRITE_ALL),
  ];
}

function readerRules(): V1PolicyRule[] {
  return [
    rule(ISTIO_CONFIG_GROUPS, ['*'], READ),
    rule(
      [''],
      [
        'endpoints',
        'pods',
        'services',
        'nodes',
        'replicationcontrollers',
        'namespaces',
        'secrets',
        'configmaps',
      ],
      READ,
    ),
    rule(['networking.istio.io'], ['workloadentries'], ['get', 'watch', 'list']),
    rule(['networking.x-k8s.io', 'gateway.networking.k8s.io'], ['gateways'], ['get', 'watch', 'list']),
    rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['multicluster.x-k8s.io'], ['serviceexports'], ['get', 'list', 'watch', 'create', 'delete']),
    rule(['multicluster.x-k8s.io'], ['serviceimports'], READ),
    rule(['apps'], ['replicasets'], READ),
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
  ];
}

function namespacedRules(): V1PolicyRule[] {
  return [
    // Auto-creating the eastwest gateway for multi-network setups.
    rule(['networking.istio.io'], ['gateways'], ['create']),
    // The self-signed CA root (istio-ca-secret) and DNS certificates.
    rule([''], ['secrets'], ['create', 'get', 'watch', 'list', 'update', 'delete']),
    rule([''], ['configmaps'], ['delete']),
    // Leader election.
    rule(['coordination.k8s.io'], ['leases'], ['get', 'update', 'patch', 'create']),
  ];
}

/** The reader ServiceAccount is a per-cluster singleton owned by Base (used for multicluster secrets). */
export const READER_SERVICE_ACCOUNT = 'istio-reader-service-account';

export function istiodRbac(ctx: RenderContext, namespace: string): ManifestObject[] {
  const labels = { app: 'istiod', ...appLabels('istiod'), ...operatorLabels(ctx, 'Pilot') };
  const readerLabels = { app: 'istio-reader', ...appLabels('istio-reader'), ...operatorLabels(ctx, 'Pilot') };
  const sa = revisioned(ctx, 'istiod');
  const clusterName = (base: string) => `${revisioned(ctx, base)}-${namespace}`;
  const istiodSa = { name: sa, namespace };
  const pullSecrets = ctx.values.global.imagePullSecrets ?? [];
  return [
    serviceAccount(sa, namespace, labels, pullSecrets),
    clusterRole(clusterName('istiod-clusterrole'), labels, istiodRules()),
    clusterRole(clusterName('istiod-gateway-controller'), labels, gatewayControllerRules()),
    clusterRole(clusterName('istio-reader-clusterrole'), readerLabels, readerRules()),
    clusterRoleBinding(
      clusterName('istiod-clusterrole'),
      labels,
      clusterName('istiod-clusterrole'),
      istiodSa,
    ),
    clusterRoleBinding(
      clusterName('istiod-gateway-controller'),
      labels,
      clusterName('istiod-gateway-controller'),
      istiodSa,
    ),
    clusterRoleBinding(
      clusterName('istio-reader-clusterrole'),
      readerLabels,
      clusterName('istio-reader-clusterrole'),
      {
        name: READER_SERVICE_ACCOUNT,
        namespace: ctx.istioNamespace,
      },
    ),
    role(sa, namespace, labels, namespacedRules()),
    roleBinding(sa, namespace, labels, sa, sa),
  ];
}
