// The live injection configuration: ConfigMaps and node versions in, one InjectionConfig per revision
// out. Fed by informers (./informers.ts) but free of I/O, so every transition is unit-tested.
// A ConfigMap that fails to parse keeps the revision's last good configuration, as istiod does.
import type { V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import type { InjectionConfig, NativeSidecarMode } from '../../inject/api';
import type { ConfigLookup, ConfigSource } from '../server/review';
import { templateProblems, type TemplateProblem } from '../../inject/templates';
import { type ConfigMapBuilder, configMapRole, injectorConfigMapName, meshConfigMapName } from './configmaps';
import { errorMessage } from '../../lib/errors';

interface RevisionState {
  config?: InjectionConfig;
  /** `config` with the current node versions; kept so the engine's per-config cache (by identity) hits. */
  served?: InjectionConfig;
  /** Why the latest ConfigMaps could not be used (cleared by the next good build). */
  error?: string;
  /** Templates of `config` the engine cannot run (compiled when the ConfigMap loads). */
  templateProblems: TemplateProblem[];
}

/** A template that fails to compile, by revision (for logs, metrics and /readyz). */
export interface RevisionTemplateProblem extends TemplateProblem {
  revision: string;
}

export interface StoreEvents {
  /** A revision's configuration was (re)built or removed; `generation` is the store's new generation. */
  onChange?(revision: string, generation: number): void;
  onError?(revision: string, message: string): void;
  /** A revision's templates were (re)compiled: the broken ones, empty when all compile. */
  onTemplateProblems?(revision: string, problems: TemplateProblem[]): void;
}

export class ConfigStore implements ConfigSource {
  private readonly configMaps = new Map<string, V1ConfigMap>();
  private readonly revisions = new Map<string, RevisionState>();
  private nodeVersions: string[] = [];
  private gen = 0;
  private synced = false;

  constructor(
    private readonly istioNamespace: string,
    private readonly build: ConfigMapBuilder,
    private readonly nativeSidecars: NativeSidecarMode,
    private readonly namespaces: (name: string) => V1Namespace | undefined = () => undefined,
    private readonly events: StoreEvents = {},
  ) {}

  generation(): number {
    return this.gen;
  }

  markSynced(): void {
    this.synced = true;
  }

  ready(): boolean {
    return this.synced;
  }

  namespace(name: string): V1Namespace | undefined {
    return this.namespaces(name);
  }

  /** Templates of the served configurations that cannot be executed, by revision then name. */
  templateProblems(): RevisionTemplateProblem[] {
    const out: RevisionTemplateProblem[] = [];
    for (const revision of [...this.revisions.keys()].sort()) {
      const state = this.revisions.get(revision);
      if (state?.config) for (const p of state.templateProblems) out.push({ revision, ...p });
    }
    return out;
  }

  revisionNames(): string[] {
    return [...this.revisions.keys()].filter((r) => this.revisions.get(r)?.config).sort();
  }

  lookup(revision: string): ConfigLookup {
    const state = this.revisions.get(revision);
    if (state?.config) {
      state.served ??= { ...state.config, nodeKubeletVersions: this.nodeVersions };
      return { config: state.served };
    }
    if (!this.synced) return { error: 'sidecar injector configuration not loaded yet' };
    const cm = `${this.istioNamespace}/${injectorConfigMapName(revision)}`;
    if (state?.error) return { error: `no usable injection configuration for revision "${revision}": ${state.error}` };
    return { error: `no injection configuration for revision "${revision}" (ConfigMap ${cm} not found)` };
  }

  /** Kubelet versions of all nodes; applies to the next request without rebuilding anything. */
  setNodeVersions(versions: string[]): void {
    const sorted = [...versions].sort();
    // Node status updates are frequent; only a change of the version set invalidates the configs.
    if (sorted.join(',') === this.nodeVersions.join(',')) return;
    this.nodeVersions = sorted;
    for (const state of this.revisions.values()) state.served = undefined;
  }

  upsertConfigMap(cm: V1ConfigMap): void {
    const name = cm.metadata?.name;
    if (!name || cm.metadata?.namespace !== this.istioNamespace) return;
    const role = configMapRole(name);
    if (!role) return;
    const previous = this.configMaps.get(name);
    // Relists and resyncs deliver unchanged objects; only data changes count as a new generation.
    if (previous && sameData(previous, cm)) return;
    this.configMaps.set(name, cm);
    this.rebuild(role.revision);
  }

  deleteConfigMap(cm: V1ConfigMap): void {
    const name = cm.metadata?.name;
    if (!name || cm.metadata?.namespace !== this.istioNamespace) return;
    const role = configMapRole(name);
    if (!role || !this.configMaps.delete(name)) return;
    this.rebuild(role.revision);
  }

  private rebuild(revision: string): void {
    const injector = this.configMaps.get(injectorConfigMapName(revision));
    if (!injector) {
      // Without its injector ConfigMap a revision is gone (a mesh-only change is not a revision).
      if (this.revisions.delete(revision)) {
        this.events.onTemplateProblems?.(revision, []);
        this.changed(revision);
      }
      return;
    }
    const state = this.revisions.get(revision) ?? { templateProblems: [] };
    try {
      const mesh = this.configMaps.get(meshConfigMapName(revision));
      state.config = this.build({ revision, injector, mesh, nativeSidecars: this.nativeSidecars });
      state.served = undefined;
      state.error = undefined;
      // Compiling here, once per ConfigMap change, fills the engine's cache before the first pod
      // and reports a broken template now rather than pod by pod.
      state.templateProblems = state.config.templates ? templateProblems(state.config.templates) : [];
      this.revisions.set(revision, state);
      this.events.onTemplateProblems?.(revision, state.templateProblems);
      this.changed(revision);
    } catch (err) {
      state.error = errorMessage(err);
      this.revisions.set(revision, state);
      this.events.onError?.(revision, state.error);
    }
  }

  private changed(revision: string): void {
    this.gen++;
    this.events.onChange?.(revision, this.gen);
  }
}

function sameData(a: V1ConfigMap, b: V1ConfigMap): boolean {
  return JSON.stringify(a.data ?? {}) === JSON.stringify(b.data ?? {});
}
