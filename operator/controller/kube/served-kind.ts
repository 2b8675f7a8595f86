// Whether the apiserver serves a kind. Discovery of a group nobody serves answers 404; a group that is
// served without that kind resolves to nothing (the lean client throws KindNotServedError; client-node says "Unrecognized API version and kind").
// Kinds from CRDs that may be absent (Multus's NetworkAttachmentDefinition) are the case in point.
import { isNotFound } from './api-errors';
import type { KubeClient } from './kube-client';

/** Thrown by the lean client for a call on a kind discovery does not know. */
export class KindNotServedError extends Error {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`the apiserver does not serve ${apiVersion} ${kind}`);
    this.name = 'KindNotServedError';
  }
}

/** True when `err` says the kind itself is not served (not that an object is missing). */
export function isKindNotServed(err: unknown): boolean {
  if (err instanceof KindNotServedError) return true;
  if (err instanceof Error && err.message.includes('Unrecognized API version and kind')) return true;
  return isNotFound(err) && err instanceof Error && err.message.includes('Failed to fetch resource metadata');
}

export async function servesKind(client: KubeClient, apiVersion: string, kind: string): Promise<boolean> {
  try {
    return (await client.resource(apiVersion, kind)) !== undefined;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Why an object of a kind the cluster does not serve cannot be applied: names the API and the fix. */
export function notServedMessage(apiVersion: string, kind: string): string {
  return (
    `the cluster does not serve ${apiVersion} ${kind} (its CustomResourceDefinition is not installed): ` +
    'install that API first' +
    (kind === 'NetworkAttachmentDefinition' ? ' (Multus provides it; OpenShift ships it)' : '') +
    ', or change the IstioOperator so it does not render it'
  );
}
