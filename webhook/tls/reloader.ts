// Serving certificate from files (a mounted Secret, cert-manager's or any other), reloaded when the
// files change. Polling, not fs.watch: kubelet updates Secret volumes by swapping a symlinked
// directory, which inotify-based watches miss or report inconsistently; two small reads are cheap.
import { readFileSync } from 'fs';
import { createSecureContext } from 'tls';
import type { Logger } from '../../lib/log';
import { errorMessage } from '../../lib/errors';
import type { KeyPair } from './options';

export interface CertFiles {
  certFile: string;
  keyFile: string;
}

export type ReadFile = (path: string) => string;

/** Throws unless cert and key parse and belong together (Node checks the key against the certificate). */
export function validateKeyPair(pair: KeyPair): void {
  createSecureContext({ cert: pair.cert, key: pair.key });
}

export class CertFileReloader {
  private current?: KeyPair;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly files: CertFiles,
    /** Called with every new valid pair after the first load. */
    private readonly apply: (pair: KeyPair) => void,
    private readonly log: Logger,
    private readonly read: ReadFile = (p) => readFileSync(p, 'utf8'),
  ) {}

  /** The initial pair; throws when the files are missing or invalid (the server must not start). */
  load(): KeyPair {
    const pair = this.readPair();
    validateKeyPair(pair);
    this.current = pair;
    return pair;
  }

  /** Re-reads the files; applies and returns true when they changed and are valid. Never throws. */
  check(): boolean {
    let pair: KeyPair;
    try {
      pair = this.readPair();
    } catch (err) {
      this.log.warn('cannot read TLS files, keeping the current certificate', { error: errorMessage(err) });
      return false;
    }
    if (this.current && pair.cert === this.current.cert && pair.key === this.current.key) return false;
    try {
      // A half-written rotation (new cert, old key) fails here and is retried on the next poll.
      validateKeyPair(pair);
    } catch (err) {
      this.log.warn('TLS files changed but are not a valid pair yet, keeping the current certificate', {
        error: errorMessage(err),
      });
      return false;
    }
    this.current = pair;
    this.apply(pair);
    this.log.info('reloaded TLS certificate', { certFile: this.files.certFile });
    return true;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private readPair(): { cert: string; key: string } {
    return { cert: this.read(this.files.certFile), key: this.read(this.files.keyFile) };
  }
}
