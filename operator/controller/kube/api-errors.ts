// Narrowing of apiserver errors. The lean client (lib/kube) throws KubeApiError; client-node (still used
// by CLI paths and tests) throws ApiException. Both carry an HTTP `code` and the apiserver's Status body
// (parsed, or as a string), so they are read by shape and neither class has to be loaded here.
import { errorMessage } from '../../../lib/errors';

export function statusCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number')
    return err.code;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;

/** The apiserver's own message (Status.message) when there is one, for status and events. */
export function apiMessage(err: unknown): string {
  const code = statusCode(err);
  if (code !== undefined && typeof err === 'object' && err !== null && 'body' in err) {
    const body: unknown = typeof err.body === 'string' ? safeParse(err.body) : err.body;
    if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string')
      return body.message;
    return `HTTP ${code}`;
  }
  return errorMessage(err);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
