// The workloads the upgrade bench rolls: upstream's Bookinfo (its ServiceAccounts and Deployments, read
// at run time from ../shared) or N synthetic Deployments spread over a few namespaces. Each pod template
// gets WORKLOAD_LABEL (the tracker's key) and a scenario label (the watch's selector).
import { readFileSync } from 'node:fs';
import type { V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { bookinfoYamlPath } from '../common/pods';
import { WORKLOAD_LABEL } from './pod-tracker';

export const SCENARIO_LABEL = 'bench.meshwright.io/upgrade';

export interface Workloads {
  namespaces: string[];
  serviceAccounts: { namespace: string; name: string }[];
  deployments: V1Deployment[];
  /** Replicas per WORKLOAD_LABEL value. */
  replicas: Map<string, number>;
}

function labelled(d: V1Deployment, namespace: string, scenario: string): V1Deployment {
  const name = d.metadata?.name ?? '';
  const t = d.spec?.template;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { ...d.metadata?.labels, [SCENARIO_LABEL]: scenario } },
    spec: {
      ...d.spec!,
      template: {
        ...t,
        metadata: {
          ...t?.metadata,
          labels: {
            ...t?.metadata?.labels,
            [WORKLOAD_LABEL]: `${namespace}.${name}`,
            [SCENARIO_LABEL]: scenario,
          },
        },
      },
    },
  };
}

function replicasOf(deployments: readonly V1Deployment[]): Map<string, number> {
  return new Map(
    deployments.map((d) => [`${d.metadata?.namespace}.${d.metadata?.name}`, d.spec?.replicas ?? 1]),
  );
}

/** Bookinfo's Deployments (one replica each, as the sample ships them) in `namespace`. */
export function bookinfoWorkloads(root: string, namespace: string, scenario: string): Workloads {
  const docs = parseAllDocuments(readFileSync(bookinfoYamlPath(root), 'utf8')).map(
    (d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null,
  );
  const deployments = docs
    .filter((o): o is V1Deployment => o?.kind === 'Deployment')
    .map((d) => labelled(d, namespace, scenario));
  if (deployments.length === 0) throw new Error(`no Deployments in ${bookinfoYamlPath(root)}`);
  return {
    namespaces: [namespace],
    serviceAccounts: docs
      .filter((o) => o?.kind === 'ServiceAccount')
      .map((o) => ({ namespace, name: o?.metadata?.name ?? '' })),
    deployments,
    replicas: replicasOf(deployments),
  };
}

/** `count` Deployments of `replicas` pods each, ten per namespace `<prefix>-<i>`. */
export function syntheticWorkloads(
  prefix: string,
  scenario: string,
  count: number,
  replicas: number,
): Workloads {
  const perNamespace = 10;
  const namespaces = Array.from({ length: Math.ceil(count / perNamespace) }, (_, i) => `${prefix}-${i}`);
  const deployments = Array.from({ length: count }, (_, i) => {
    const namespace = namespaces[Math.floor(i / perNamespace)]!;
    const name = `app-${String(i).padStart(3, '0')}`;
    return labelled(
      {
        metadata: { name },
        spec: {
          replicas,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: `registry.example/${name}:1`,
                  ports: [{ containerPort: 8080 }],
                  resources: { requests: { cpu: '10m', memory: '16Mi' } },
                },
              ],
            },
          },
        },
      },
      namespace,
      scenario,
    );
  });
  return { namespaces, serviceAccounts: [], deployments, replicas: replicasOf(deployments) };
}
