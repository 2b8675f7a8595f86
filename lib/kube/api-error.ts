// The error of an apiserver call that got an answer: the HTTP status, the Status reason and the Status
// body itself, so callers test `status`/`reason` and show the apiserver's own message.

export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: unknown;
}

export class KubeApiError extends Error {
  /** The HTTP status (the Status code for a watch ERROR event). */
  readonly code: number;
  readonly reason: string;

  constructor(
    readonly method: string,
    readonly path: string,
    code: number,
    readonly body: KubeStatus | string,
  ) {
    const status = typeof body === 'object' ? body : undefined;
    const detail = status?.message ?? (typeof body === 'string' && body ? body.slice(0, 200) : '');
    super(`${method} ${path}: HTTP ${code}${detail ? `: ${detail}` : ''}`);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = status?.reason ?? '';
  }

  /** The apiserver's message (Status.message), or `HTTP <code>` when it sent none. */
  get statusMessage(): string {
    return typeof this.body === 'object' && this.body.message ? this.body.message : `HTTP ${this.code}`;
  }
}

/** A Status body if `text` is one, otherwise the text. */
export function parseStatus(text: string): KubeStatus | string {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as KubeStatus;
  } catch {
    // not JSON: keep the text
  }
  return text;
}
