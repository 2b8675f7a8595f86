// Narrowing of errors thrown by client-node: it throws ApiException with an HTTP code and the
// apiserver's Status body (as a string or a parsed object, depending on the call).
import { ApiException } from '@kubernetes/client-node';
import { errorMessage } from '../../../lib/errors';

export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number')
    return err.code;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;

/** The apiserver's own message (Status.message) when there is one, for status and events. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = typeof err.body === 'string' ? safeParse(err.body) : err.body;
    if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string')
      return body.message;
    return `HTTP ${err.code}`;
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
