// `meshwright kube-inject`: the thin shell around webhook/kube-inject. Reads the input and configuration
// files (or, with --kubeconfig, the revision's ConfigMaps from the cluster, as istioctl does), assembles the
// injector configuration, writes the injected stream to stdout (or -o FILE) and warnings to stderr.
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseFlags, UsageError, usage, type FlagSpec } from '../lib/flags';
import { loadKubeConfig } from '../lib/kube/kubeconfig';
import { setFlagsToOverlay, SetPathError } from '../lib/istio/setpath';
import { buildInjectionConfig, injectPod } from '../inject';
import type { InjectionConfig, IopSpecOverlay, NativeSidecarMode } from '../inject/api';
import { versionNotice } from '../inject/versions';
import {
  clusterConfig,
  injectConfigOverlay,
  kubeInject,
  KubeInjectError,
  meshOverlay,
  valuesOverlay,
  type ConfigMapReader,
} from '../webhook/kube-inject';
import type { Command } from './commands';
import { errorMessage } from '../lib/errors';

const SUMMARY = 'Inject sidecars into Kubernetes YAML';

const FLAGS: Record<string, FlagSpec> = {
  filename: { kind: 'string', alias: 'f', help: 'input YAML file, or - for stdin' },
  output: { kind: 'string', alias: 'o', help: 'write the injected YAML to this file (default: stdout)' },
  injectConfigFile: {
    kind: 'string',
    help: "the injector ConfigMap's `config` key as a file (policy, selectors, templates), or the ConfigMap",
  },
  meshConfigFile: {
    kind: 'string',
    help: "MeshConfig as a file (the istio ConfigMap's `mesh` key), or the ConfigMap",
  },
  valuesFile: {
    kind: 'string',
    help: "injector values as a file (the istio-sidecar-injector ConfigMap's `values` key), or the ConfigMap",
  },
  values: { kind: 'string', help: 'same as --valuesFile' },
  'mesh-config': { kind: 'string', help: 'same as --meshConfigFile' },
  set: {
    kind: 'array',
    help: 'IstioOperator override path=value (repeatable), e.g. values.global.proxy.statusPort=123',
  },
  revision: { kind: 'string', alias: 'r', help: 'control-plane revision to inject for' },
  kubeconfig: {
    kind: 'string',
    help: 'read what no file gives from the cluster: ConfigMaps istio-sidecar-injector[-<rev>] and istio[-<rev>]',
  },
  istioNamespace: {
    kind: 'string',
    alias: 'i',
    default: 'istio-system',
    help: 'Istio namespace (with --kubeconfig)',
  },
  injectConfigMapName: {
    kind: 'string',
    help: 'injector ConfigMap name (default istio-sidecar-injector[-<rev>])',
  },
  meshConfigMapName: { kind: 'string', help: 'mesh ConfigMap name (default istio[-<rev>])' },
  'istio-version': {
    kind: 'string',
    help: 'inject as this Istio version (default: the ConfigMap labels with --kubeconfig, else this build)',
  },
  'native-sidecars': {
    kind: 'string',
    default: 'auto',
    help: 'auto|enabled|disabled (auto needs node versions, which kube-inject does not know: use enabled for clusters on Kubernetes >= 1.33)',
  },
  help: { kind: 'boolean', alias: 'h', help: 'show this help' },
};

export interface KubeInjectIO {
  readFile(path: string): string;
  writeFile?(path: string, text: string): void;
  stdout(text: string): void;
  stderr(text: string): void;
  /** The cluster's ConfigMaps, for --kubeconfig (default: a Kubernetes client). */
  configMaps?(kubeconfig: string): ConfigMapReader;
}

const processIO: KubeInjectIO = {
  readFile: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
  writeFile: (path, text) => writeFileSync(path, text),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  configMaps: kubeConfigMaps,
};

/** Reads ConfigMaps with the kubeconfig's credentials (get on configmaps in the Istio namespace). */
export function kubeConfigMaps(kubeconfig: string): ConfigMapReader {
  let core: CoreV1Api;
  try {
    core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  } catch (err) {
    throw new KubeInjectError(`--kubeconfig: ${errorMessage(err)}`);
  }
  return async (namespace, name): Promise<V1ConfigMap | undefined> => {
    try {
      return await core.readNamespacedConfigMap({ name, namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new KubeInjectError(`reading ConfigMap ${namespace}/${name}: ${errorMessage(err)}`);
    }
  };
}

// A file named by a flag; a missing or unreadable file is an error naming the flag.
function readNamed(io: KubeInjectIO, path: string, flag: string): string {
  try {
    return io.readFile(path);
  } catch (err) {
    throw new KubeInjectError(`${flag} ${path}: ${errorMessage(err)}`);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export async function runKubeInject(argv: string[], io: KubeInjectIO = processIO): Promise<number> {
  const { flags, positional } = parseFlags(argv, FLAGS);
  if (flags.help) {
    io.stdout(usage('kube-inject', SUMMARY, FLAGS));
    return 0;
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  if (typeof flags.filename !== 'string') throw new UsageError('-f FILE (or -f - for stdin) is required');
  const native = flags['native-sidecars'];
  if (native !== 'auto' && native !== 'enabled' && native !== 'disabled') {
    throw new UsageError(
      `--native-sidecars must be auto, enabled or disabled, not ${JSON.stringify(native)}`,
    );
  }
  const valuesFile = str(flags.valuesFile) ?? str(flags.values);
  const meshFile = str(flags.meshConfigFile) ?? str(flags['mesh-config']);
  const injectFile = str(flags.injectConfigFile);
  for (const [a, b] of [
    ['valuesFile', 'values'],
    ['meshConfigFile', 'mesh-config'],
  ] as const) {
    if (str(flags[a]) !== undefined && str(flags[b]) !== undefined) {
      throw new UsageError(`--${a} and --${b} are the same flag; give one`);
    }
  }
  const revision = str(flags.revision);
  try {
    // Order: cluster ConfigMaps or files (values, inject config, mesh), then --set: explicit overrides win.
    const overlays: IopSpecOverlay[] = [];
    // The templates injected from: the inject config file's, else the cluster ConfigMap's, else built-ins.
    let templates: Pick<InjectionConfig, 'templates' | 'templateAliases'> = {};
    let istioVersion = str(flags['istio-version']);
    const kubeconfig = str(flags.kubeconfig);
    const need = { values: !valuesFile, injectConfig: !injectFile, mesh: !meshFile };
    if (kubeconfig !== undefined && (need.values || need.injectConfig || need.mesh)) {
      const reader = (io.configMaps ?? kubeConfigMaps)(kubeconfig);
      const cluster = await clusterConfig(reader, {
        namespace: str(flags.istioNamespace) ?? 'istio-system',
        revision: revision ?? '',
        need,
        injectorName: str(flags.injectConfigMapName),
        meshName: str(flags.meshConfigMapName),
      });
      overlays.push(...cluster.overlays);
      if (cluster.templates)
        templates = { templates: cluster.templates, templateAliases: cluster.templateAliases };
      for (const n of cluster.notes) io.stderr(`warning: ${n}\n`);
      istioVersion ??= cluster.istioVersion;
    }
    if (valuesFile !== undefined)
      overlays.push(valuesOverlay(readNamed(io, valuesFile, '--valuesFile'), valuesFile));
    if (injectFile !== undefined) {
      const ic = injectConfigOverlay(readNamed(io, injectFile, '--injectConfigFile'), injectFile);
      overlays.push(ic.overlay);
      if (ic.templates) templates = { templates: ic.templates, templateAliases: ic.templateAliases };
      for (const n of ic.notes) io.stderr(`warning: ${n}\n`);
    }
    if (meshFile !== undefined)
      overlays.push(meshOverlay(readNamed(io, meshFile, '--meshConfigFile'), meshFile));
    const sets = Array.isArray(flags.set) ? flags.set : [];
    if (sets.length > 0) overlays.push(setFlagsToOverlay(sets) as IopSpecOverlay);
    const config: InjectionConfig = {
      ...buildInjectionConfig({
        overlays,
        revision,
        nativeSidecars: native as NativeSidecarMode,
        istioVersion,
      }),
      ...templates,
    };
    // Only a version that was asked for (flag or cluster labels) is worth a note when it is not known.
    const notice = istioVersion !== undefined ? versionNotice(config.revision, config.version) : undefined;
    if (notice) io.stderr(`warning: ${notice}\n`);
    const { output, warnings } = kubeInject(readNamed(io, flags.filename, '-f'), {
      config,
      inject: injectPod,
    });
    for (const w of warnings) io.stderr(`warning: ${w}\n`);
    const out = str(flags.output);
    if (out !== undefined && out !== '-') {
      if (!io.writeFile) throw new KubeInjectError('cannot write files here');
      io.writeFile(out, output);
    } else {
      io.stdout(output);
    }
    return 0;
  } catch (err) {
    if (err instanceof SetPathError) throw new UsageError(err.message);
    if (err instanceof KubeInjectError) {
      io.stderr(`meshwright kube-inject: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

export const kubeInjectCommand: Command = {
  name: 'kube-inject',
  summary: SUMMARY,
  run: (argv) => runKubeInject(argv),
};
