// The one way to turn an unknown thrown value into text. Catch clauses receive `unknown`; every
// message that reaches a log, a status condition or a CLI error goes through here, so none of them
// prints "[object Object]" differently or leaks an object's fields.

/**
 * The message of a thrown value: an Error's (or an error-like object's) message, a thrown string as
 * is, anything else via String(). Error-like counts because errors from another realm (Node's own
 * fs errors under jest's VM context) fail `instanceof Error` but still carry their message.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string')
    return err.message;
  return String(err);
}

/** A thrown value as an Error, for promise rejections and rethrows that must carry one. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(errorMessage(err));
}
