// The one network adapter of release/: an HTTP(S) GET with a whole-request deadline, an AbortSignal,
// a body size cap and redirects (GitHub answers release downloads with a 302 to its object store).
// Every failure is an HttpError whose message says what happened (status, DNS, refused, timeout,
// truncated body) without the body itself.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { get as httpGetRaw, type IncomingMessage } from 'node:http';
import { get as httpsGetRaw } from 'node:https';
import { rootCertificates } from 'node:tls';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { errorMessage } from '../lib/errors';

export interface HttpOptions {
  /** Deadline for the whole request, redirects and body included. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Largest body accepted. */
  readonly maxBytes: number;
  readonly maxRedirects?: number;
  /** Extra trusted CA certificates (PEM) for https, e.g. a mirror behind a private CA. */
  readonly ca?: string;
}

export class HttpError extends Error {
  constructor(
    readonly url: string,
    message: string,
    /** The HTTP status when the server answered with one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NET_ERRORS: Record<string, string> = {
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** Drops query strings from URLs shown in errors (signed object-store redirects carry tokens). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code && NET_ERRORS[code]) return NET_ERRORS[code];
  return errorMessage(err);
}

/**
 * GETs `url`, following redirects, and hands the 200 response body to `consume`; the deadline, the
 * signal and the size cap cover the consumption too.
 */
export async function httpGet<T>(
  url: string,
  options: HttpOptions,
  consume: (body: AsyncIterable<Buffer>) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = (): void => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const why = (err: unknown, at: string): HttpError => {
    // The deadline and the signal come first: aborting surfaces as a reset or truncated body.
    if (timedOut) return new HttpError(at, `GET ${displayUrl(at)}: timed out after ${options.timeoutMs} ms`);
    if (controller.signal.aborted) return new HttpError(at, `GET ${displayUrl(at)}: aborted`);
    if (err instanceof HttpError) return err;
    return new HttpError(at, `GET ${displayUrl(at)}: ${describe(err)}`);
  };
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      const res = await open(current, controller.signal, options.ca).catch((err: unknown) => {
        throw why(err, current);
      });
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        res.resume();
        const location = res.headers.location;
        if (!location)
          throw new HttpError(current, `GET ${displayUrl(current)}: ${status} without Location`, status);
        if (hop >= (options.maxRedirects ?? 5))
          throw new HttpError(
            current,
            `GET ${displayUrl(url)}: more than ${options.maxRedirects ?? 5} redirects`,
          );
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          throw new HttpError(
            current,
            `GET ${displayUrl(current)}: ${status} to a malformed Location`,
            status,
          );
        }
        if (new URL(current).protocol === 'https:' && next.protocol !== 'https:')
          throw new HttpError(
            current,
            `GET ${displayUrl(current)}: refused redirect from https to ${next.protocol}`,
          );
        current = next.toString();
        continue;
      }
      if (status !== 200) {
        res.resume();
        throw new HttpError(
          current,
          `GET ${displayUrl(current)}: HTTP ${status} ${res.statusMessage ?? ''}`.trim(),
          status,
        );
      }
      const declared = res.headers['content-length'] ? Number(res.headers['content-length']) : undefined;
      if (declared !== undefined && declared > options.maxBytes) {
        res.destroy();
        throw new HttpError(
          current,
          `GET ${displayUrl(current)}: body of ${declared} bytes exceeds ${options.maxBytes}`,
        );
      }
      const at = current;
      try {
        return await consume(counted(res, at, options.maxBytes, declared));
      } catch (err) {
        res.destroy();
        throw why(err, at);
      }
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function open(url: string, signal: AbortSignal, ca: string | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      reject(new Error(`unsupported URL scheme ${u.protocol}`));
      return;
    }
    const headers = { 'user-agent': 'meshwright' };
    const req =
      u.protocol === 'https:'
        ? // The extra CA is added to Node's roots, not instead of them (redirects may leave the mirror).
          httpsGetRaw(u, { signal, headers, ...(ca ? { ca: [...rootCertificates, ca] } : {}) }, resolve)
        : httpGetRaw(u, { signal, headers }, resolve);
    req.on('error', reject);
  });
}

/** The body, checked against the cap while it streams and against Content-Length at its end. */
async function* counted(
  res: IncomingMessage,
  url: string,
  max: number,
  declared: number | undefined,
): AsyncGenerator<Buffer> {
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) throw new HttpError(url, `GET ${displayUrl(url)}: body exceeds ${max} bytes`);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || errorMessage(err) === 'aborted')
      throw new HttpError(
        url,
        `GET ${displayUrl(url)}: body truncated after ${total} bytes (connection closed)`,
      );
    throw err;
  }
  if (!res.complete || (declared !== undefined && total !== declared))
    throw new HttpError(
      url,
      `GET ${displayUrl(url)}: body truncated after ${total} of ${declared ?? 'unknown'} bytes`,
    );
}

export interface Downloaded {
  readonly bytes: number;
  /** Hex sha256 of the body. */
  readonly sha256: string;
}

/** Streams the body into `dest` while hashing it. */
export function downloadToFile(url: string, dest: string, options: HttpOptions): Promise<Downloaded> {
  return httpGet(url, options, async (body) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(body, tap, createWriteStream(dest, { flags: 'wx' }));
    return { bytes, sha256: hash.digest('hex') };
  });
}

/** A small text body (a `.sha256` file). */
export function fetchText(url: string, options: HttpOptions): Promise<string> {
  return httpGet(url, options, async (body) => {
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(chunk);
    return Buffer.concat(parts).toString('utf8');
  });
}
