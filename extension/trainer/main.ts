/**
 * The trainer child process (bundled to dist/trainer.js; the extension host forks it with IPC). Protocol:
 * the host sends one `start` request; we answer `started`, then `record`s, `log`s, and finally `done`
 * (preceded by `error` when the run failed), then exit. A `stop` message, SIGTERM, SIGINT or the parent
 * going away stops the run cleanly (status `stopped`, everything flushed). An invalid message gets an
 * `error` and exit code 2; an uncaught exception marks run.json failed, sends `error` and exits 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isHostToTrainer, type TrainerToHost } from '../shared/protocol';
import type { RunWriter } from '../engine/runs';
import { RunDirError, runSession, type SessionControl } from './session';
import { Outbox } from './outbox';
import { errorLine } from '../shared/errors';

const control: SessionControl = { stopRequested: false };
let writer: RunWriter | null = null;
let started = false;
let exiting = false;

function sendNow(msg: TrainerToHost): void {
  if (!process.send || !process.connected) return;
  try {
    // With a callback, a failed send (the parent is gone: EPIPE) is reported here instead of as an
    // 'error' event that would crash the process; the disconnect handler stops the run.
    process.send(msg, undefined, undefined, () => {});
  } catch {
    // the parent went away: the run keeps writing to disk and stops through the disconnect handler
  }
}

/** Records go coalesced (a few messages a second however fast the run); control messages at once. */
const outbox = new Outbox(sendNow, { setTimer: (fn, ms) => setTimeout(fn, ms), clearTimer: (h) => clearTimeout(h as NodeJS.Timeout) });
const send = (msg: TrainerToHost): void => outbox.post(msg);

/** Exits once every message queued before this call has been handed to the parent. */
function exitAfterFlush(code: number): void {
  if (exiting) return;
  exiting = true;
  process.exitCode = code;
  outbox.flush();
  if (process.send && process.connected) {
    try {
      process.send({ type: 'log', level: 'info', message: 'trainer exiting' } satisfies TrainerToHost, () => process.exit(code));
      // If the channel never drains, still leave.
      setTimeout(() => process.exit(code), 2000).unref();
      return;
    } catch {
      // fall through
    }
  }
  process.exit(code);
}

function requestStop(why: string): void {
  if (!started) {
    exitAfterFlush(0);
    return;
  }
  if (!control.stopRequested) send({ type: 'log', level: 'info', message: `stopping (${why})` });
  control.stopRequested = true;
}

/** The .wasm binaries sit next to the bundle (dist/); when run from source, backend.ts finds them itself. */
function wasmDir(): string | undefined {
  return fs.existsSync(path.join(__dirname, 'tfjs-backend-wasm.wasm')) ? __dirname : undefined;
}

process.on('message', (msg: unknown) => {
  if (!isHostToTrainer(msg)) {
    send({ type: 'error', message: 'invalid message from the host (expected a start or stop request)', runDir: writer?.runDir ?? null });
    if (writer && !writer.finished) writer.finish('failed', 'invalid message from the host', null);
    exitAfterFlush(2);
    return;
  }
  if (msg.type === 'stop') {
    requestStop('stop requested');
    return;
  }
  if (started) {
    send({ type: 'log', level: 'warn', message: 'a run is already in progress in this process; start request ignored' });
    return;
  }
  started = true;
  runSession(msg, send, control, { wasmDir: wasmDir(), onWriter: (w) => (writer = w) }).then(
    (run) => exitAfterFlush(run.status === 'failed' ? 1 : 0),
    (err) => {
      if (err instanceof RunDirError) {
        // Nothing was written: report it as the run's failure, not as a crash.
        send({ type: 'error', message: err.message, runDir: null });
        exitAfterFlush(1);
      } else crash(err);
    },
  );
});

function crash(err: unknown): void {
  const reason = `trainer crashed: ${errorLine(err)}`;
  try {
    if (writer && !writer.finished) writer.finish('failed', reason, null);
  } catch {
    // nothing more we can do on disk
  }
  send({ type: 'error', message: reason, runDir: writer?.runDir ?? null });
  if (writer) send({ type: 'done', run: writer.run });
  process.stderr.write(`${err instanceof Error && err.stack ? err.stack : reason}\n`);
  exitAfterFlush(1);
}

process.on('disconnect', () => requestStop('the host disconnected'));
process.on('SIGTERM', () => requestStop('SIGTERM'));
process.on('SIGINT', () => requestStop('SIGINT'));
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

if (!process.send) {
  process.stderr.write('training-dynamics trainer: this process must be started by the extension host (with an IPC channel)\n');
  process.exit(2);
}
