// istioctl's manifest-generate golden cases as its own test runs them (operator/cmd/mesh
// manifest-generate_test.go of each version): input file, flags, and the objects the golden keeps.
export interface GoldenCase {
  readonly name: string;
  /** Input file name (without .yaml); none for flag-only cases. */
  readonly input?: string;
  readonly golden: string;
  readonly setFlags?: string[];
  readonly force?: boolean;
  readonly diffSelect?: string;
  /** Versions the case exists in. */
  readonly versions?: readonly string[];
  /**
   * upstream's test renders this case from a snapshot of older charts (testdata data-snapshot.tar.gz, not
   * part of a release) instead of the release's own; SNAPSHOT_DRIFT lists what that changes.
   */
  readonly snapshot?: boolean;
}

/** A part of the objects that differs only because upstream rendered from its older chart snapshot. */
export interface Drift {
  readonly kind: string;
  readonly name?: string;
  /** Dotted path removed from both sides before comparing; `env[name:X]` removes a list item. */
  readonly path?: string;
  /** The object exists only in the release's charts (a CRD added after the snapshot). */
  readonly onlyInRelease?: boolean;
  readonly why: string;
}

export const SNAPSHOT_DRIFT: readonly Drift[] = [
  { kind: 'CustomResourceDefinition', path: 'spec', why: 'the snapshot carries older CRD schemas' },
  {
    kind: 'CustomResourceDefinition',
    name: 'trafficextensions.extensions.istio.io',
    onlyInRelease: true,
    why: 'the CRD was added after the snapshot',
  },
  {
    kind: 'ConfigMap',
    name: 'istio-sidecar-injector',
    path: 'data.config',
    why: 'the snapshot carries older injection templates',
  },
  {
    kind: 'ConfigMap',
    name: 'values',
    path: 'data.merged-values',
    why: 'the snapshot chart has fewer default values (cni.taint.name)',
  },
  {
    kind: 'DaemonSet',
    name: 'ztunnel',
    path: 'spec.template.spec.containers[name:istio-proxy].env[name:ZTUNNEL_RESOURCE_CPU_LIMIT]',
    why: "the snapshot's ztunnel chart predates the CPU env guards that 1.31's resource translation feeds",
  },
  {
    kind: 'DaemonSet',
    name: 'ztunnel',
    path: 'spec.template.spec.containers[name:istio-proxy].env[name:ZTUNNEL_RESOURCE_CPU_REQUEST]',
    why: "the snapshot's ztunnel chart predates the CPU env guards that 1.31's resource translation feeds",
  },
];

const gd = (name: string): string => `${name}.golden.yaml`;

export const GOLDEN_CASES: readonly GoldenCase[] = [
  { name: 'all_on', snapshot: true, input: 'all_on', golden: 'all_on.golden-show-in-gh-pull-request.yaml' },
  {
    name: 'flag_values_enable_egressgateway',
    snapshot: true,
    golden: gd('flag_values_enable_egressgateway'),
    setFlags: ['values.gateways.istio-egressgateway.enabled=true'],
    diffSelect: 'Service:*:istio-egressgateway',
  },
  {
    name: 'flag_force',
    snapshot: true,
    input: 'flag_force',
    golden: gd('flag_force'),
    force: true,
    diffSelect: 'no:resources:selected',
  },
  { name: 'pilot_default', snapshot: true, input: 'pilot_default', golden: gd('pilot_default') },
  {
    name: 'pilot_k8s_settings',
    snapshot: true,
    input: 'pilot_k8s_settings',
    golden: gd('pilot_k8s_settings'),
    diffSelect: 'Deployment:*:istiod,HorizontalPodAutoscaler:*:istiod',
  },
  {
    name: 'pilot_override_values',
    snapshot: true,
    input: 'pilot_override_values',
    golden: gd('pilot_override_values'),
    diffSelect: 'Deployment:*:istiod,HorizontalPodAutoscaler:*:istiod',
  },
  {
    name: 'pilot_override_kubernetes',
    snapshot: true,
    input: 'pilot_override_kubernetes',
    golden: gd('pilot_override_kubernetes'),
    diffSelect:
      'Deployment:*:istiod, Service:*:istiod,PodDisruptionBudget:*:istiod,MutatingWebhookConfiguration:*:istio-sidecar-injector,ServiceAccount:*:istio-reader-service-account',
  },
  {
    name: 'pilot_merge_meshconfig',
    snapshot: true,
    input: 'pilot_merge_meshconfig',
    golden: gd('pilot_merge_meshconfig'),
    diffSelect: 'ConfigMap:*:istio$',
  },
  {
    name: 'pilot_disable_tracing',
    snapshot: true,
    input: 'pilot_disable_tracing',
    golden: gd('pilot_disable_tracing'),
    diffSelect: 'ConfigMap:*:istio$',
  },
  {
    name: 'autoscaling_ingress_v2',
    snapshot: true,
    input: 'autoscaling_ingress_v2',
    golden: gd('autoscaling_ingress_v2'),
    diffSelect: 'HorizontalPodAutoscaler:*:istiod,HorizontalPodAutoscaler:*:istio-ingressgateway',
  },
  {
    name: 'autoscaling_v2',
    snapshot: true,
    input: 'autoscaling_v2',
    golden: gd('autoscaling_v2'),
    diffSelect: 'HorizontalPodAutoscaler:*:istiod,HorizontalPodAutoscaler:*:istio-ingressgateway',
  },
  {
    name: 'pilot_env_var_from',
    input: 'pilot_env_var_from',
    golden: gd('pilot_env_var_from'),
    diffSelect: 'Deployment:*:istiod',
  },
  {
    name: 'networkpolicy_enabled',
    input: 'networkpolicy_enabled',
    golden: gd('networkpolicy_enabled'),
    diffSelect: 'NetworkPolicy:*:istiod',
  },
  {
    name: 'istio-cni',
    snapshot: true,
    input: 'istio-cni',
    golden: gd('istio-cni'),
    diffSelect: 'DaemonSet:*:istio-cni',
  },
  {
    name: 'istio-cni_tolerations',
    snapshot: true,
    input: 'istio-cni_tolerations',
    golden: gd('istio-cni_tolerations'),
    diffSelect: 'DaemonSet:*:istio-cni',
  },
  {
    name: 'ztunnel',
    snapshot: true,
    input: 'ztunnel',
    golden: gd('ztunnel'),
    diffSelect: 'DaemonSet:*:ztunnel',
  },
  {
    name: 'ztunnel_tolerations',
    snapshot: true,
    input: 'ztunnel_tolerations',
    golden: gd('ztunnel_tolerations'),
    diffSelect: 'DaemonSet:*:ztunnel',
  },
  {
    name: 'helm_values_enablement',
    snapshot: true,
    input: 'helm_values_enablement',
    golden: gd('helm_values_enablement'),
    diffSelect: 'Deployment:*:istio-egressgateway, Service:*:istio-egressgateway',
  },
  {
    name: 'install_package_path',
    input: 'install_package_path',
    golden: gd('install_package_path'),
    diffSelect: 'Deployment:*:istiod',
  },
  {
    name: 'ingressgateway_k8s_settings',
    snapshot: true,
    input: 'ingressgateway_k8s_settings',
    golden: gd('ingressgateway_k8s_settings'),
    diffSelect: 'Deployment:*:istio-ingressgateway, Service:*:istio-ingressgateway',
  },
  {
    name: 'sidecar_template',
    snapshot: true,
    input: 'sidecar_template',
    golden: gd('sidecar_template'),
    diffSelect: 'ConfigMap:*:istio-sidecar-injector',
  },
  {
    name: 'gateway_hpa_pdb',
    input: 'gateway_hpa_pdb',
    golden: gd('gateway_hpa_pdb'),
    diffSelect: 'HorizontalPodAutoscaler:*:istio-ingressgateway,PodDisruptionBudget:*:istio-ingressgateway',
    versions: ['1.31.0-rc.0'],
  },
  {
    name: 'pilot_hpa_pdb',
    input: 'pilot_hpa_pdb',
    golden: gd('pilot_hpa_pdb'),
    diffSelect: 'HorizontalPodAutoscaler:*:istiod,PodDisruptionBudget:*:istiod',
    versions: ['1.31.0-rc.0'],
  },
  // TestMultiICPSFiles: two files merged, compared with the helm_values_enablement golden.
  {
    name: 'multiple files (all_off + helm_values_enablement)',
    snapshot: true,
    input: 'all_off,helm_values_enablement',
    golden: gd('helm_values_enablement'),
    diffSelect: 'Deployment:*:istio-egressgateway, Service:*:istio-egressgateway',
  },
];

/**
 * Golden files istioctl's test of that version no longer regenerates or compares (no test case names them),
 * so they are stale; listed so a new golden file is noticed rather than ignored.
 */
export const UNREFERENCED_GOLDENS = [
  'all_off.golden.yaml',
  'flag_output.golden.yaml',
  'flag_output_set_values.golden.yaml',
  'gateways.golden.yaml',
];
