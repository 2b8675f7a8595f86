// Runs one injection template's Go text on a request's data: execute, read the YAML as a Pod.
import type { TemplateContext } from '../context';
import type { Template, TemplatePod } from '../templates/types';
import { compiledTemplate } from './cache';
import { templateData } from './data';
import { TemplateError } from './lex';
import { podFromYaml } from './pod-yaml';

export { TemplateError };

/** A Template that interprets `text`; compile errors surface as TemplateError when it runs. */
export function interpretedTemplate(name: string, text: string): Template {
  const compiled = compiledTemplate(name, text);
  return (ctx: TemplateContext): TemplatePod => {
    if (!compiled.ok) throw new TemplateError(`template "${name}" cannot be used: ${compiled.error}`);
    let out: string;
    try {
      out = compiled.template.execute(templateData(ctx));
    } catch (e) {
      if (e instanceof TemplateError) throw new TemplateError(`template "${name}": ${e.message}`);
      throw e;
    }
    return podFromYaml(name, out);
  };
}
