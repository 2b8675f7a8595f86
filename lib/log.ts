// Structured JSON logging shared by both binaries. One root logger; components take child loggers
// with stable keys (controller, namespace, name, uid) so log pipelines can filter on them.
import winston from 'winston';

export type Logger = winston.Logger;

export interface LogOptions {
  level?: string;
  /** Where records go; defaults to stderr so stdout stays free for command output (kube-inject, manifest). */
  stream?: NodeJS.WritableStream;
}

// winston's transports write the serialized line found under this key (triple-beam's MESSAGE).
const MESSAGE = Symbol.for('message');
const safeJson = winston.format.json();

/**
 * One JSON object per line. JSON.stringify instead of logform's json format, which configures a new
 * safe-stable-stringify (and sorts keys) for every record: the webhook writes a line per admission, on
 * the pod-creation path, and this halves that cost. Values JSON cannot take (a cycle) go through
 * logform's format; bigints become strings as there.
 */
const jsonLine = winston.format((info) => {
  try {
    info[MESSAGE] = JSON.stringify(info, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    return info;
  } catch {
    return safeJson.transform(info, {});
  }
});

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'],
      });
  return winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      jsonLine(),
    ),
    transports: [transport],
  });
}

let root: Logger | undefined;

/** The process-wide logger, created on first use. */
export function rootLogger(): Logger {
  root ??= createLogger();
  return root;
}

export function setRootLogger(logger: Logger): void {
  root = logger;
}

// Kept here too so existing `from '../lib/log'` imports keep working; the one definition is lib/errors.
export { errorMessage } from './errors';
