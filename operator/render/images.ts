// Image references as the charts build them: a name containing '/' is used as-is, otherwise
// `<hub>/<name>:<tag>[-<variant>]`, where a component's hub/tag wins over the global one.
export interface ImageParts {
  name: string;
  hub?: string;
  tag?: string | number;
  variant?: string;
}

export function imageRef(
  own: ImageParts,
  global: { hub?: string; tag?: string | number; variant?: string },
  fallbackName: string,
): string {
  const name = own.name || fallbackName;
  if (name.includes('/')) return name;
  const hub = own.hub || global.hub || '';
  const tag = String(own.tag !== undefined && own.tag !== '' ? own.tag : (global.tag ?? ''));
  const variant = own.variant || global.variant || '';
  return `${hub}/${name}:${tag}${variant ? `-${variant}` : ''}`;
}
