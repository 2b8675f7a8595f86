// User-supplied injection templates (`sidecarInjectorWebhook.templates`): Go text/template source run by
// the small interpreter in go-template.ts over the same data istiod gives its templates, the YAML result
// becoming a partial pod like the built-in templates produce.
import type {
  V1Container,
  V1LocalObjectReference,
  V1PodSecurityContext,
  V1Volume,
} from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { TemplateContext } from '../context';
import { renderGoTemplate, TemplateError } from './go-template';
import type { Template, TemplatePod } from './types';

export { TemplateError };

type Obj = Record<string, unknown>;

function templateData(ctx: TemplateContext): Obj {
  return {
    TypeMeta: { APIVersion: ctx.workload.apiVersion, Kind: ctx.workload.kind },
    DeploymentMeta: { Name: ctx.workload.name, Namespace: ctx.workload.namespace },
    ObjectMeta: ctx.meta,
    Spec: ctx.spec,
    ProxyConfig: ctx.proxyConfig,
    MeshConfig: ctx.mesh,
    Values: ctx.values,
    Revision: ctx.revision,
    ProxyImage: ctx.proxyImage,
    ProxyUID: ctx.proxyUID,
    ProxyGID: ctx.proxyGID,
    NativeSidecars: ctx.native,
    InboundTrafficPolicyMode: ctx.inboundTrafficPolicyMode,
    CompliancePolicy: '',
  };
}

export function customTemplate(name: string, source: string): Template {
  return (ctx) => {
    const text = renderGoTemplate(source, templateData(ctx));
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new TemplateError(`template ${name} rendered invalid YAML: ${(e as Error).message}`);
    }
    if (doc === null || doc === undefined) return { metadata: {}, spec: {} };
    if (typeof doc !== 'object' || Array.isArray(doc))
      throw new TemplateError(`template ${name} must render an object`);
    const d = withoutNulls(doc) as Obj;
    const meta = (d.metadata ?? {}) as Obj;
    const spec = (d.spec ?? {}) as Obj;
    const pod: TemplatePod = { metadata: {}, spec: {} };
    if (meta.labels) pod.metadata.labels = stringMap(meta.labels);
    if (meta.annotations) pod.metadata.annotations = stringMap(meta.annotations);
    if (spec.securityContext) pod.spec.securityContext = spec.securityContext as V1PodSecurityContext;
    if (Array.isArray(spec.initContainers)) pod.spec.initContainers = spec.initContainers as V1Container[];
    if (Array.isArray(spec.containers)) pod.spec.containers = spec.containers as V1Container[];
    if (Array.isArray(spec.volumes)) pod.spec.volumes = spec.volumes as V1Volume[];
    if (Array.isArray(spec.imagePullSecrets))
      pod.spec.imagePullSecrets = spec.imagePullSecrets as V1LocalObjectReference[];
    return pod;
  };
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

// An empty YAML value (`emptyDir:`) is an absent field once the pod is a typed object.
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v === null || typeof v !== 'object') return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = withoutNulls(x);
  return out;
}
