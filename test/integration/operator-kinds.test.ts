// The kinds the stable and openshift profiles render, through the operator on the local control plane with
// the release's own charts (1.30.3): the stable profile's ValidatingAdmissionPolicy and its binding are
// applied and owned; the openshift profile's NetworkAttachmentDefinition, whose CRD (Multus) this cluster
// does not serve, is an ERROR on the Cni component naming the missing API, with nothing crashed; once a
// NetworkAttachmentDefinition CRD is installed the same IstioOperator recovers to HEALTHY, prunes the
// policy the stable profile had, and its uninstall removes the attachment. Base is off, so the shared Istio
// CRDs other files use are left alone.
import type { KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import type { OperatorManager } from '../../operator/controller/manager';
import { createTestNamespace, deleteNamespace, kubeConfig, waitFor } from './support/cluster';
import {
  chartOperatorLog,
  deleteOwnedClusterObjects,
  forceRemoveIop,
  IOP_API,
  startChartOperator,
  waitStatus,
} from './support/chart-operator';
import { installIstioOperatorCrd } from './support/iop-crd';

jest.setTimeout(300_000);

const admin = new RawKubeClient(kubeConfig());
const rev = `k${Math.random().toString(16).slice(2, 8)}`;
const NAME = 'kinds';
const NAD_CRD = 'network-attachment-definitions.k8s.cni.cncf.io';
let ns = '';
let manager: OperatorManager | undefined;

const crdRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: NAD_CRD };
const nadRef = {
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  namespace: 'default',
  name: 'istio-cni',
};
const vapRef = () => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  name: `stable-channel-policy-${rev}-${ns}.istio.io`,
});
const bindingRef = () => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  name: `stable-channel-policy-binding-${rev}-${ns}.istio.io`,
});
const iopRef = () => ({ apiVersion: IOP_API, kind: 'IstioOperator', namespace: ns, name: NAME });
const owner = (o: KubernetesObject | undefined) =>
  o?.metadata?.labels?.['install.operator.istio.io/owning-resource'];

/** A minimal NetworkAttachmentDefinition CRD (what Multus installs: one namespaced kind, a config string). */
const nadCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: NAD_CRD },
  spec: {
    group: 'k8s.cni.cncf.io',
    scope: 'Namespaced',
    names: {
      plural: 'network-attachment-definitions',
      singular: 'network-attachment-definition',
      kind: 'NetworkAttachmentDefinition',
      shortNames: ['net-attach-def'],
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { config: { type: 'string' } } } },
          },
        },
      },
    ],
  },
};

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-operator-test');
  // This file proves the operator copes with the API being absent.
  await admin.delete(crdRef);
  await waitFor(
    async () => (await admin.get(crdRef)) === undefined,
    60_000,
    'no NetworkAttachmentDefinition CRD',
  );
  ns = await createTestNamespace('mw-kinds');
  // A short resync: it is what starts the NetworkAttachmentDefinition watch once the CRD is there.
  manager = await startChartOperator(`operator-kinds-${ns}`, ns, 3000);
});

afterAll(async () => {
  await manager?.stop().catch(() => undefined);
  if (ns) {
    await forceRemoveIop(admin, ns, NAME);
    await deleteOwnedClusterObjects(admin, ns, NAME);
    await admin.delete(nadRef).catch(() => undefined);
    await deleteNamespace(ns);
  }
  await admin.delete(crdRef).catch(() => undefined);
});

describe('kinds beyond the default profile', () => {
  it("applies and owns the stable profile's ValidatingAdmissionPolicy and binding", async () => {
    await admin.create({
      apiVersion: IOP_API,
      kind: 'IstioOperator',
      metadata: { name: NAME, namespace: ns },
      spec: {
        profile: 'stable',
        revision: rev,
        components: { base: { enabled: false } },
        values: { global: { istioNamespace: ns } },
      },
    } as KubernetesObject);
    await waitStatus(admin, ns, NAME, (s) => s.status === 'HEALTHY', 'stable IstioOperator HEALTHY');
    const policy = (await admin.get(vapRef())) as
      (KubernetesObject & { spec?: { validations?: unknown[] } }) | undefined;
    expect(owner(policy)).toBe(NAME);
    expect(policy?.spec?.validations?.length).toBeGreaterThan(0);
    const binding = (await admin.get(bindingRef())) as
      (KubernetesObject & { spec?: { policyName?: string } }) | undefined;
    expect(owner(binding)).toBe(NAME);
    expect(binding?.spec?.policyName).toBe(vapRef().name);
  });

  it('an absent NetworkAttachmentDefinition API is an ERROR on Cni naming it; installing the CRD recovers', async () => {
    await admin.mergePatch(iopRef(), {
      spec: { profile: 'openshift', components: { cni: { enabled: true, namespace: ns } } },
    });
    const failed = await waitStatus(
      admin,
      ns,
      NAME,
      (s) =>
        s.status === 'ERROR' && (s.componentStatus?.Cni?.error ?? '').includes('NetworkAttachmentDefinition'),
      'ERROR on Cni',
    );
    expect(failed.componentStatus?.Cni?.error).toBe(
      'NetworkAttachmentDefinition/default/istio-cni: the cluster does not serve k8s.cni.cncf.io/v1 ' +
        'NetworkAttachmentDefinition (its CustomResourceDefinition is not installed): install that API first ' +
        '(Multus provides it; OpenShift ships it), or change the IstioOperator so it does not render it',
    );
    expect(failed.componentStatus?.Pilot?.status).not.toBe('ERROR');
    expect(manager?.ready()).toBe(true);

    await admin.apply(nadCrd as KubernetesObject, 'meshwright-operator-test', true);
    await waitStatus(
      admin,
      ns,
      NAME,
      (s) => s.status === 'HEALTHY',
      'openshift IstioOperator HEALTHY',
      240_000,
    );
    expect(owner(await admin.get(nadRef))).toBe(NAME);
    // The operator started without the API, so it did not watch it; a resync found it served and watches it.
    const log = () => readFileSync(chartOperatorLog(`operator-kinds-${ns}`), 'utf8');
    const notServed = log()
      .split('\n')
      .find((l) => l.includes('kinds not served by the apiserver'));
    expect(notServed).toContain('"kinds":"k8s.cni.cncf.io/v1 NetworkAttachmentDefinition"');
    await waitFor(
      async () => log().includes('"watch":"network-attachment-definitions.k8s.cni.cncf.io/v1"'),
      30_000,
      'the NetworkAttachmentDefinition watch started',
    );
    // The stable profile's policy is no longer rendered: pruned.
    await waitFor(async () => (await admin.get(vapRef())) === undefined, 60_000, 'policy pruned');
    expect(await admin.get(bindingRef())).toBeUndefined();
  });

  it('uninstall removes the NetworkAttachmentDefinition', async () => {
    await admin.delete(iopRef());
    await waitFor(
      async () => (await admin.get(iopRef())) === undefined,
      120_000,
      'IstioOperator uninstalled',
    );
    expect(await admin.get(nadRef)).toBeUndefined();
  });
});
