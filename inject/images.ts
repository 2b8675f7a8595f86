// The proxy image reference: <hub>/<image>:<tag>[-<variant>], or the image verbatim when it already is
// a full reference (contains '/'). The image type (variant) comes from the pod annotation, the proxy
// config, or global.variant, and replaces a known variant suffix already in the tag.
import type { ProxyConfig } from '../lib/istio/mesh';
import type { ResolvedValues } from '../lib/istio/values';
import { A } from './annotations';

const KNOWN_IMAGE_TYPES = ['distroless', 'debug'];

export function proxyImage(
  values: ResolvedValues,
  pc: ProxyConfig,
  annotations: Record<string, string>,
  /** The image value to use (default `global.proxy.image`); 1.31's init container passes its own. */
  image?: string,
): string {
  const g = values.global;
  const name = (image ?? g.proxy.image) || 'proxyv2';
  let imageType = g.variant ?? '';
  if (pc.image && typeof pc.image.imageType === 'string') imageType = pc.image.imageType;
  const annType = annotations[A.proxyImageType];
  if (annType !== undefined) imageType = annType;
  const tag = g.tag === undefined || g.tag === null ? '' : String(g.tag);
  return `${g.hub ?? ''}/${name}:${withImageType(tag, imageType)}`;
}

export function withImageType(tag: string, imageType: string): string {
  if (!imageType) return tag;
  let t = tag;
  for (const known of KNOWN_IMAGE_TYPES) {
    if (t.endsWith(`-${known}`)) {
      t = t.slice(0, -(known.length + 1));
      break;
    }
  }
  return imageType === 'default' ? t : `${t}-${imageType}`;
}

/** The image a template puts on a container: a full reference wins, else the resolved proxy image. */
export function containerImage(configured: string, resolvedProxyImage: string): string {
  return configured.includes('/') ? configured : resolvedProxyImage;
}
