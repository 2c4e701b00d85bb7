/**
 * Logs: readable lines on a terminal (pino-pretty), JSON lines otherwise, LOG_FORMAT to choose.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger, logFormat } from '../../src/lib/logger.ts';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

describe('the process logger', () => {
  it('is pretty on a terminal and JSON otherwise, unless LOG_FORMAT says', () => {
    expect(logFormat(undefined, true)).toBe('pretty');
    expect(logFormat(undefined, false)).toBe('json');
    expect(logFormat('json', true)).toBe('json');
    expect(logFormat('pretty', false)).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig({}).logFormat).toBeUndefined();
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(
      'LOG_FORMAT must be one of pretty, json, got "xml"',
    );
  });

  it('writes JSON lines a collector can read', async () => {
    const out = capture();
    createLogger('info', 'json', out.stream).info({ symbols: ['SPY'] }, 'session restored');
    await new Promise((resolve) => setImmediate(resolve));
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, msg: 'session restored', symbols: ['SPY'] });
  });

  it('writes readable lines for a person', async () => {
    const out = capture();
    const logger = createLogger('info', 'pretty', out.stream);
    logger.info({ symbols: ['SPY'] }, 'session restored');
    logger.debug('not at info');
    await new Promise((resolve) => setImmediate(resolve));
    const text = out.text();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: session restored \{"symbols":\["SPY"\]\}\n$/);
    expect(text).not.toContain('"level"');
    expect(text).not.toContain('not at info');
    expect(text).not.toContain('\u001b['); // a pipe gets no colours
  });
});
