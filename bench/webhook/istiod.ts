// Upstream istiod 1.31.0's injector as the webhook suite's third server: the same pods and load as
// Meshwright's webhook, so its CPU per injection and latency can be reported as ratios. istiod needs a
// Kubernetes API (it reads its ConfigMaps and CRDs from it), so this starts a throwaway local control plane
// and installs into it what a real install gives istiod (test/integration/support/istiod-install.ts).
// Without the binary (hack/build-istiod.sh failed or was not run) the suite runs without it, loudly.
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { installIstiodInputs } from '../../test/integration/support/istiod-install';
import { istiodBinary, ISTIOD_VERSION, startIstiod } from '../../test/integration/support/istiod';
import { existsSync } from 'node:fs';
import { startBenchCluster } from '../common/cluster';
import type { LoadTarget } from './load';

export interface BenchIstiod {
  pid: number;
  target: Omit<LoadTarget, 'bodies'>;
  exited(): string | undefined;
  stop(): Promise<void>;
}

export async function startBenchIstiod(o: {
  root: string;
  logDir: string;
  say(line: string): void;
}): Promise<{ kind: 'skipped'; reason: string } | { kind: 'started'; istiod: BenchIstiod }> {
  const binary = istiodBinary();
  if (!existsSync(binary))
    return {
      kind: 'skipped',
      reason: `istiod ${ISTIOD_VERSION} binary absent at ${binary} (run hack/build-istiod.sh; its output says why it failed)`,
    };
  o.say(`  istiod ${ISTIOD_VERSION}: starting a local control plane for it`);
  const cluster = await startBenchCluster(o.root, o.say);
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.cp.kubeconfigPath);
    await installIstiodInputs(kc, 'istio-system', o.root);
    const istiod = await startIstiod({
      binary,
      kubeconfig: cluster.cp.kubeconfigPath,
      namespace: 'istio-system',
      logFile: join(o.logDir, 'istiod.log'),
    });
    o.say(`  istiod ${ISTIOD_VERSION}: ready (pid ${istiod.pid}, https port ${istiod.ports.https})`);
    return {
      kind: 'started',
      istiod: {
        pid: istiod.pid,
        target: { host: '127.0.0.1', port: istiod.ports.https, path: '/inject', ca: istiod.caPem },
        exited: istiod.exited,
        async stop() {
          await istiod.stop();
          await cluster.stop();
        },
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
