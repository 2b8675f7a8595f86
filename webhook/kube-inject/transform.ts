// kube-inject as a pure function: a YAML stream in, the injected stream and the warnings out.
// Workloads are injected through the engine; Lists are walked; every other document passes through.
import type { V1Namespace } from '@kubernetes/client-node';
import { Document, parse, parseAllDocuments, Scalar, visit } from 'yaml';
import type { PlainObject } from '../../lib/istio/merge';
import type { InjectionConfig, Injector } from '../../inject/api';
import { goShapeList, goShapeWorkload, sortKeys } from './goshape';
import { asWorkload, isList } from './workloads';
import { errorMessage } from '../../lib/errors';

export interface KubeInjectOptions {
  config: InjectionConfig;
  inject: Injector;
  /** Namespace objects by name, when known (their labels and annotations feed injection). */
  namespaces?: ReadonlyMap<string, V1Namespace>;
}

export interface KubeInjectResult {
  output: string;
  warnings: string[];
}

/** Input that cannot be injected: unparsable YAML or a workload the engine rejects. */
export class KubeInjectError extends Error {}

export function kubeInject(input: string, options: KubeInjectOptions): KubeInjectResult {
  const opts = { ...options, config: withoutDefaultTemplates(options.config) };
  const warnings: string[] = [];
  const parts: string[] = [];
  const docs = parseAllDocuments(input, { uniqueKeys: false });
  if (!Array.isArray(docs)) throw new KubeInjectError('input is not a YAML stream');
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) throw new KubeInjectError(`YAML document ${i + 1}: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS({ maxAliasCount: -1 });
    if (value === null || value === undefined) continue;
    const out = transformObject(value, opts, warnings);
    // Untouched documents keep their text; rewritten ones are printed the way upstream prints them.
    parts.push(out === undefined ? sourceText(input, doc.range) : toYaml(out));
  }
  return { output: parts.map((p) => `${p}---\n`).join(''), warnings };
}

// istioctl renders the `sidecar` template unless a pod names its templates: the injector config's
// defaultTemplates are the webhook's.
function withoutDefaultTemplates(cfg: InjectionConfig): InjectionConfig {
  const sw = (cfg.values as { sidecarInjectorWebhook?: { defaultTemplates?: unknown } })
    .sidecarInjectorWebhook;
  if (!Array.isArray(sw?.defaultTemplates) || sw.defaultTemplates.length === 0) return cfg;
  return {
    ...cfg,
    values: { ...cfg.values, sidecarInjectorWebhook: { ...sw, defaultTemplates: [] } },
  } as InjectionConfig;
}

/** The rewritten object, or undefined when it has nothing to inject and passes through as is. */
function transformObject(value: unknown, opts: KubeInjectOptions, warnings: string[]): unknown {
  if (isList(value)) {
    let touched = false;
    const items = value.items.map((item) => {
      const out = transformObject(item, opts, warnings);
      if (out === undefined) return item;
      touched = true;
      return out;
    });
    if (!touched) return undefined;
    return sortKeys(goShapeList({ ...value, items }));
  }
  const w = asWorkload(value);
  if (!w) return undefined;
  const namespace = w.namespace || 'default';
  const id = `${w.kind} "${namespace}/${w.name}"`;
  let outcome;
  try {
    outcome = opts.inject(
      {
        pod: w.readPod(),
        namespace,
        namespaceObject: opts.namespaces?.get(namespace),
        owner: w.owner,
        admission: false,
      },
      opts.config,
    );
  } catch (err) {
    throw new KubeInjectError(`injecting ${id}: ${errorMessage(err)}`);
  }
  if (outcome.kind === 'rejected') throw new KubeInjectError(`${id}: ${outcome.message}`);
  if (outcome.kind === 'skipped') warnings.push(outcome.reason);
  else w.writePod(outcome.pod);
  return goShapeWorkload(w.kind, w.object as PlainObject);
}

function toYaml(obj: unknown): string {
  // Block style, sequences flush with their key, no line folding, single quotes where quoting is needed,
  // double quotes for strings that would read as numbers, booleans or null: what sigs.k8s.io/yaml prints.
  const doc = new Document(obj, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !readsAsString(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, singleQuote: true });
}

// YAML 1.1 resolution, as go-yaml applies it (so `yes`, `on`, `0x1f` are not plain strings either).
function readsAsString(s: string): boolean {
  try {
    const v: unknown = parse(s, { version: '1.1' });
    return v !== null && typeof v !== 'number' && typeof v !== 'boolean';
  } catch {
    return true;
  }
}

function sourceText(input: string, range: [number, number, number]): string {
  const text = input.slice(range[0], range[2]).replace(/^---[^\n]*\n/, '');
  return text.endsWith('\n') ? text : `${text}\n`;
}
