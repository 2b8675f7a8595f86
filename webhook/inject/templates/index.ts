// The built-in injection templates by name, and which ones a pod asks for (inject.istio.io/templates,
// else sidecarInjectorWebhook.defaultTemplates, else `sidecar`).
import { A } from '../annotations';
import type { TemplateContext } from '../context';
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

export function selectedTemplates(ctx: TemplateContext): string[] {
  const requested = ctx.annotations[A.templates];
  if (requested !== undefined) return requested.split(',').map((s) => s.trim());
  const defaults = ctx.values.sidecarInjectorWebhook.defaultTemplates ?? [];
  return defaults.length ? [...defaults] : ['sidecar'];
}
