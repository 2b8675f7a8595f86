// What a template renders: a partial pod overlaid onto the user's pod (see ../overlay.ts).
import type {
  V1Container,
  V1LocalObjectReference,
  V1PodSecurityContext,
  V1Volume,
} from '@kubernetes/client-node';
import type { TemplateContext } from '../context';

export interface TemplatePod {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    securityContext?: V1PodSecurityContext;
    initContainers?: V1Container[];
    containers?: V1Container[];
    volumes?: V1Volume[];
    imagePullSecrets?: V1LocalObjectReference[];
  };
}

export type Template = (ctx: TemplateContext) => TemplatePod;

export function imagePullSecrets(ctx: TemplateContext): V1LocalObjectReference[] | undefined {
  const s = ctx.values.global.imagePullSecrets ?? [];
  return s.length ? s.map((name) => ({ name })) : undefined;
}
