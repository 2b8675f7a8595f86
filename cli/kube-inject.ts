// `meshwright kube-inject`: the thin shell around webhook/kube-inject. Reads the input and configuration
// files, assembles the injector configuration, writes the injected stream to stdout and warnings to stderr.
import { readFileSync } from 'node:fs';
import { parseFlags, UsageError, usage, type FlagSpec } from '../lib/flags';
import { setFlagsToOverlay, SetPathError } from '../lib/istio/setpath';
import { buildInjectionConfig, injectPod } from '../webhook/inject';
import type { IopSpecOverlay, NativeSidecarMode } from '../webhook/inject/api';
import { kubeInject, KubeInjectError, meshOverlay, valuesOverlay } from '../webhook/kube-inject';
import type { Command } from './commands';

const SUMMARY = 'Inject sidecars into Kubernetes YAML';

const FLAGS: Record<string, FlagSpec> = {
  filename: { kind: 'string', alias: 'f', help: 'input YAML file, or - for stdin' },
  values: {
    kind: 'string',
    help: 'Helm values of the istio-discovery chart, or an istio-sidecar-injector ConfigMap',
  },
  'mesh-config': { kind: 'string', help: 'MeshConfig YAML, or an istio ConfigMap' },
  set: {
    kind: 'array',
    help: 'IstioOperator override path=value (repeatable), e.g. values.global.proxy.statusPort=123',
  },
  revision: { kind: 'string', help: 'control-plane revision to inject for' },
  'native-sidecars': {
    kind: 'string',
    default: 'auto',
    help: 'auto|enabled|disabled (auto needs node versions, which kube-inject does not know: use enabled for clusters on Kubernetes >= 1.33)',
  },
  help: { kind: 'boolean', alias: 'h', help: 'show this help' },
};

export interface KubeInjectIO {
  readFile(path: string): string;
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIO: KubeInjectIO = {
  readFile: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

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
  try {
    // Files first, then --set: explicit overrides win, as with istioctl.
    const overlays: IopSpecOverlay[] = [];
    if (typeof flags.values === 'string')
      overlays.push(valuesOverlay(io.readFile(flags.values), flags.values));
    if (typeof flags['mesh-config'] === 'string') {
      overlays.push(meshOverlay(io.readFile(flags['mesh-config']), flags['mesh-config']));
    }
    const sets = Array.isArray(flags.set) ? flags.set : [];
    if (sets.length > 0) overlays.push(setFlagsToOverlay(sets) as IopSpecOverlay);
    const config = buildInjectionConfig({
      overlays,
      revision: typeof flags.revision === 'string' ? flags.revision : undefined,
      nativeSidecars: native as NativeSidecarMode,
    });
    const { output, warnings } = kubeInject(io.readFile(flags.filename), { config, inject: injectPod });
    for (const w of warnings) io.stderr(`warning: ${w}\n`);
    io.stdout(output);
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
