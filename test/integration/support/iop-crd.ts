// Installs the project's IstioOperator CRD, exactly as shipped (CEL rules included), and waits until it is
// Established. Shared by the operator suites; a rejected CRD fails the suite loudly (crds.test.ts says why).
import type { KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import type { RawKubeClient } from '../../../operator/controller/kube/raw-object-api';
import { waitFor } from './cluster';

const CRD_FILE = join(__dirname, '..', '..', '..', 'crds', 'istiooperator.yaml');

export async function installIstioOperatorCrd(client: RawKubeClient, fieldManager: string): Promise<void> {
  const crd = parse(readFileSync(CRD_FILE, 'utf8')) as KubernetesObject;
  await client.apply(crd, fieldManager, true);
  await waitFor(
    async () => {
      const live = (await client.get({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: crd.metadata!.name!,
      })) as
        (KubernetesObject & { status?: { conditions?: { type: string; status: string }[] } }) | undefined;
      return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    },
    30_000,
    'IstioOperator CRD established',
  );
}
