// Go text/template rendering of arbitrary data (the interpreter in ../render, with the injection
// functions); kept for callers that render a template text directly.
import { compiledTemplate } from '../render/cache';
import { TemplateError } from '../render/lex';

export { TemplateError };

export function renderGoTemplate(source: string, data: unknown): string {
  const c = compiledTemplate('template', source);
  if (!c.ok) throw new TemplateError(c.error);
  return c.template.execute(data);
}
