/**
 * The process logger: pino, written as readable coloured lines (pino-pretty, in-process, no worker
 * thread) when stdout is a terminal, and as JSON lines otherwise (CI, containers, files), which is
 * what log collectors read. LOG_FORMAT=pretty or LOG_FORMAT=json overrides the guess.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/** How log lines are written. */
export type LogFormat = 'pretty' | 'json';

/** The format for a stream: `requested` when set, else pretty on a terminal, JSON otherwise. */
export function logFormat(requested: LogFormat | undefined, isTty: boolean): LogFormat {
  return requested ?? (isTty ? 'pretty' : 'json');
}

/** A pino logger at `level` writing to `stream` (default stdout) in `format`. */
export function createLogger(
  level: string,
  format: LogFormat,
  stream: NodeJS.WritableStream = process.stdout,
): Logger {
  if (format === 'json') return pino({ level }, stream);
  return pino(
    { level },
    pretty({
      destination: stream,
      colorize: 'isTTY' in stream && stream.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
      sync: true,
    }),
  );
}
