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

/** A template by name: user templates from values first (they replace built-ins of the same name). */
export function templateNamed(ctx: TemplateContext, name: string): Template | undefined {
  const source = ctx.values.sidecarInjectorWebhook.templates?.[name];
  if (typeof source === 'string') return customTemplate(name, source);
  return BUILTIN_TEMPLATES[name];
}

export function selectedTemplates(ctx: TemplateContext): string[] {
  const requested = ctx.annotations[A.templates];
  if (requested !== undefined) return requested.split(',').map((s) => s.trim());
  const defaults = ctx.values.sidecarInjectorWebhook.defaultTemplates ?? [];
  return defaults.length ? [...defaults] : ['sidecar'];
}
