// Which templates a pod gets (inject.istio.io/templates, else defaultTemplates, else `sidecar`) and how
// each runs. With the injector ConfigMap's templates (cluster mode) a name means that text, as in
// istiod: text identical to a verified stock template runs as the typed builders (the fast path),
// any other text on the Go template interpreter. Without them, the built-ins and the values' user
// templates. Resolutions are cached per template set, so a pod costs a Map lookup per template.
import { A } from '../annotations';
import type { InjectionConfig } from '../api';
import type { TemplateContext } from '../context';
import { compiledTemplate } from '../render/cache';
import { interpretedTemplate } from '../render';
import { gatewayTemplate } from './gateway';
import { grpcAgentTemplate, grpcSimpleTemplate } from './grpc';
import { sidecarTemplate } from './sidecar';
import { stockTemplate, type StockKind } from './stock';
import type { Template } from './types';

export const BUILTIN_TEMPLATES: Readonly<Record<StockKind, Template>> = {
  sidecar: sidecarTemplate,
  gateway: gatewayTemplate,
  'grpc-simple': grpcSimpleTemplate,
  'grpc-agent': grpcAgentTemplate,
};

type Sources = Readonly<Record<string, string>>;

const resolved = new WeakMap<Sources, Map<string, Template>>();
const resolvedSlow = new WeakMap<Sources, Map<string, Template>>();

/** The template sources by name: the ConfigMap's, else the values' user templates. */
function sources(cfg: InjectionConfig, ctx: TemplateContext): Sources | undefined {
  return cfg.templates ?? ctx.values.sidecarInjectorWebhook.templates ?? undefined;
}

/**
 * A template by name, or undefined when none has that name. Own keys only: the name comes from a pod
 * annotation, and `__proto__` or `constructor` must read as unknown.
 */
export function templateNamed(
  cfg: InjectionConfig,
  ctx: TemplateContext,
  name: string,
): Template | undefined {
  const src = sources(cfg, ctx);
  const text = src && Object.hasOwn(src, name) ? src[name] : undefined;
  if (typeof text === 'string' && src) {
    const fast = cfg.templateFastPath !== false;
    const byText = fast ? resolved : resolvedSlow;
    let cache = byText.get(src);
    if (!cache) byText.set(src, (cache = new Map()));
    let t = cache.get(name);
    if (!t) {
      const stock = fast ? stockTemplate(text) : undefined;
      t = stock?.fast ? BUILTIN_TEMPLATES[stock.kind] : interpretedTemplate(name, text);
      cache.set(name, t);
    }
    return t;
  }
  // Cluster mode knows only the ConfigMap's templates; elsewhere the built-ins stand in for the chart's.
  if (cfg.templates) return undefined;
  return Object.hasOwn(BUILTIN_TEMPLATES, name) ? BUILTIN_TEMPLATES[name as StockKind] : undefined;
}

/** Every template name a pod may select (for the "not found" message). */
export function templateNames(cfg: InjectionConfig, ctx: TemplateContext): string[] {
  const names = new Set<string>(Object.keys(cfg.templates ?? {}));
  if (!cfg.templates) {
    for (const n of Object.keys(BUILTIN_TEMPLATES)) names.add(n);
    for (const n of Object.keys(ctx.values.sidecarInjectorWebhook.templates ?? {})) names.add(n);
  }
  return [...names];
}

export function selectedTemplates(
  ctx: TemplateContext,
  aliases?: InjectionConfig['templateAliases'],
): string[] {
  const requested = ctx.annotations[A.templates];
  const defaults = ctx.values.sidecarInjectorWebhook.defaultTemplates ?? [];
  const names =
    requested !== undefined
      ? requested.split(',').map((s) => s.trim())
      : defaults.length
        ? [...defaults]
        : ['sidecar'];
  if (!aliases) return names;
  // An alias expands to its templates (one level, as istiod resolves them).
  return names.flatMap((n) => (Object.hasOwn(aliases, n) ? [...aliases[n]] : [n]));
}

export interface TemplateProblem {
  template: string;
  error: string;
}

/** Templates whose text the engine cannot compile (syntax, unknown function), checked at load time. */
export function templateProblems(templates: Readonly<Record<string, string>>): TemplateProblem[] {
  const out: TemplateProblem[] = [];
  for (const name of Object.keys(templates).sort()) {
    const text = templates[name];
    if (typeof text !== 'string') {
      out.push({ template: name, error: 'template is not a string' });
      continue;
    }
    const c = compiledTemplate(name, text);
    if (!c.ok) out.push({ template: name, error: c.error });
  }
  return out;
}
