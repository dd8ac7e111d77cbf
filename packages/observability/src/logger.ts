import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/** Paths cut from every log line: credentials must never reach the logs. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'connectionString',
  '*.connectionString',
];

/** The one root logger of a process; modules take `logger.child({ service })`. */
export function createLogger(opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { name: opts.name ?? 'hazardwatch' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** Strip user:password from a connection URL before it is printed or logged. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
