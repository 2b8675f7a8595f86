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
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      jsonLine(),
    ),
    transports: [transport],
  });
  writeDirect(logger, opts.stream ?? process.stderr);
  return logger;
}

const LEVEL = Symbol.for('level');
type Info = winston.Logform.TransformableInfo & { [LEVEL]?: string; [MESSAGE]?: string };

/**
 * Formats each record once and writes its line straight to the destination the transport was made for
 * (the stream given, else stderr, where the Console transport above writes every level), instead of
 * through winston's object-mode stream pipeline (the logger is a Transform piped into the transport's
 * Writable, which also schedules a 'logged' event per line): about three quarters of a line's cost, and
 * the webhook writes a line per admission. Records below the logger's level are dropped before they are
 * formatted. Same lines; child loggers write through the root's `write`, so they take this path too.
 */
function writeDirect(logger: winston.Logger, dest: NodeJS.WritableStream): void {
  const levels = logger.levels;
  const direct = (info: Info): boolean => {
    const level = info[LEVEL] ?? info.level;
    info[LEVEL] = level;
    if (logger.silent || !(levels[logger.level] >= levels[level])) return true;
    const out = logger.format.transform(info, logger.format.options) as Info | false;
    if (out) dest.write(`${out[MESSAGE]}\n`);
    return true;
  };
  (logger as unknown as { write: typeof direct }).write = direct;
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
