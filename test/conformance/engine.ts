// The engine is loaded at run time so the runner still runs (and reports every case as failed with the
// load error) while inject/index.ts or config.ts are missing or broken.
import { join } from 'node:path';
import type { BuildInjectionConfigOptions, InjectionConfig, Injector } from '../../inject/api';
import { errorMessage } from '../../lib/errors';

export interface Engine {
  injectPod: Injector;
  buildInjectionConfig: (opts: BuildInjectionConfigOptions) => InjectionConfig;
}

export type EngineLoad = { ok: true; engine: Engine } | { ok: false; error: string };

export async function loadEngine(root = join(__dirname, '..', '..')): Promise<EngineLoad> {
  try {
    const index = await loadModule(join(root, 'inject', 'index'));
    const config = await loadModule(join(root, 'inject', 'config'));
    const injectPod = index.injectPod;
    const buildInjectionConfig = config.buildInjectionConfig;
    if (typeof injectPod !== 'function')
      return { ok: false, error: 'inject/index does not export injectPod' };
    if (typeof buildInjectionConfig !== 'function') {
      return { ok: false, error: 'inject/config does not export buildInjectionConfig' };
    }
    return {
      ok: true,
      engine: {
        injectPod: injectPod as Injector,
        buildInjectionConfig: buildInjectionConfig as Engine['buildInjectionConfig'],
      },
    };
  } catch (err) {
    // The first line is enough (Node appends the require stack).
    const message = errorMessage(err).split('\n')[0];
    return { ok: false, error: `cannot load the injection engine: ${message}` };
  }
}

async function loadModule(path: string): Promise<Record<string, unknown>> {
  const mod: unknown = await import(path);
  return typeof mod === 'object' && mod !== null ? (mod as Record<string, unknown>) : {};
}
