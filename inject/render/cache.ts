// Compiled templates by text: a ConfigMap generation's templates compile once and every pod reuses
// them; a new text (an edited ConfigMap) compiles on first use or when the ConfigMap loads. Bounded,
// so ConfigMap churn cannot grow it without limit.
import { compileTemplate, type CompiledTemplate } from './compile';
import { INJECTION_FUNCS } from './funcs';
import { TemplateError } from './lex';

export type Compiled = { ok: true; template: CompiledTemplate } | { ok: false; error: string };

const MAX_ENTRIES = 256;
const cache = new Map<string, Compiled>();

/** The compiled template for `text` (cached by text, whatever its name). Never throws. */
export function compiledTemplate(name: string, text: string): Compiled {
  const hit = cache.get(text);
  if (hit) return hit;
  let entry: Compiled;
  try {
    entry = { ok: true, template: compileTemplate(name, text, INJECTION_FUNCS) };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    entry = { ok: false, error: e.message };
  }
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(text, entry);
  return entry;
}
