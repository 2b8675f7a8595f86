// The injection templates of an `istio-sidecar-injector` ConfigMap: the `templates:` map of its `config`
// key (Go text/template source by name), which istiod renders and which the engine therefore injects.
import { parse as parseYaml } from 'yaml';
import { errorMessage } from '../../lib/errors';
import { InjectionConfigError } from '../../inject/config';

function configDoc(configYaml: string | undefined): Record<string, unknown> | undefined {
  if (configYaml === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parseYaml(configYaml);
  } catch (e) {
    throw new InjectionConfigError(`cannot parse injector config (YAML): ${errorMessage(e).split('\n')[0]}`);
  }
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
}

/** The `aliases` of the injector `config` (name -> template names); undefined when absent. */
export function injectorTemplateAliases(configYaml: string | undefined): Record<string, string[]> | undefined {
  const raw = configDoc(configYaml)?.aliases;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InjectionConfigError('injector config field "aliases" must be a map of name to template names');
  }
  const out: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(raw)) {
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      throw new InjectionConfigError(`injector config field "aliases.${name}" must be a list of template names`);
    }
    out[name] = list as string[];
  }
  return out;
}

/** The `templates` of the injector `config` YAML; undefined when the key (or the config) is absent. */
export function injectorTemplates(configYaml: string | undefined): Record<string, string> | undefined {
  const doc = configDoc(configYaml);
  if (!doc) return undefined;
  const raw = doc.templates;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InjectionConfigError('injector config field "templates" must be a map of template name to text');
  }
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(raw)) {
    if (typeof text !== 'string') {
      throw new InjectionConfigError(`injector config field "templates.${name}" must be a string (template text)`);
    }
    out[name] = text;
  }
  return out;
}
