/**
 * The one log of the extension: lines to the "Training Dynamics" output channel, each with its time, warnings
 * and errors marked (as rust-analyzer's `Log`). Pure (the channel is passed in), so node:test can check it.
 */
export type LogLevel = 'info' | 'warn' | 'error';

export interface LogChannel {
  appendLine(line: string): void;
  show(preserveFocus?: boolean): void;
}

export class Log {
  constructor(
    private readonly channel: LogChannel,
    private readonly now: () => Date = () => new Date(),
  ) {}

  info(message: string): void {
    this.write('info', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  /** Reveal the output channel without taking the focus. */
  show(): void {
    this.channel.show(true);
  }

  /** `[HH:MM:SS] message`, with `warning: ` / `error: ` before the message at those levels. */
  write(level: LogLevel, message: string): void {
    const mark = level === 'info' ? '' : level === 'warn' ? 'warning: ' : 'error: ';
    this.channel.appendLine(`[${this.now().toISOString().slice(11, 19)}] ${mark}${message}`);
  }
}
