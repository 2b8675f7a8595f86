// The built-in injection templates by name, and which ones a pod asks for (inject.istio.io/templates,
// else sidecarInjectorWebhook.defaultTemplates, else `sidecar`).
import { A } from '../annotations';
import type { TemplateContext } from '../context';
import { customTemplate } from './custom';
import { gatewayTemplate } from './gateway';
import { grpcAgentTemplate, grpcSimpleTemplate } from './grpc';
import { sidecarTemplate } from './sidecar';
import type { Template } from './types';

export const BUILTIN_TEMPLATES: Readonly<Record<string, Template>> = {
  sidecar: sidecarTemplate,
  gateway: gatewayTemplate,
  'grpc-simple': grpcSimpleTemplate,
  'grpc-agent': grpcAgentTemplate,
};

/**
 * A template by name: user templates from values first (they replace built-ins of the same name). Own
 * keys only: the name comes from a pod annotation, and `__proto__` or `constructor` must read as unknown.
 */
export function templateNamed(ctx: TemplateContext, name: string): Template | undefined {
  const user = ctx.values.sidecarInjectorWebhook.templates;
  const source = user && Object.hasOwn(user, name) ? user[name] : undefined;
  if (typeof source === 'string') return customTemplate(name, source);
  return Object.hasOwn(BUILTIN_TEMPLATES, name) ? BUILTIN_TEMPLATES[name] : undefined;
}

export function selectedTemplates(ctx: TemplateContext): string[] {
  const requested = ctx.annotations[A.templates];
  if (requested !== undefined) return requested.split(',').map((s) => s.trim());
  const defaults = ctx.values.sidecarInjectorWebhook.defaultTemplates ?? [];
  return defaults.length ? [...defaults] : ['sidecar'];
}
