/**
 * The CLI's standard streams: one shape for every subcommand (inspect, study and submit write through OutputIo,
 * run through CliIo), and the process's own streams, quiet once a pipe closes.
 */

/** Where a command writes: its result on stdout, progress and problems on stderr. */
export interface OutputIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** The run command's terminal. */
export interface CliIo extends OutputIo {
  /** Draw a progress bar (stderr is a terminal). */
  tty: boolean;
  columns: number;
  /** Install Ctrl-C handling (off when tests call main in-process). */
  handleSignals: boolean;
}

/** Writes to a stream, going quiet once its reader is gone (`… | head` closes the pipe: EPIPE). */
function streamWriter(stream: NodeJS.WriteStream): (s: string) => void {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') closed = true;
    else throw err;
  });
  return (s) => {
    if (!closed) stream.write(s);
  };
}

export function processIo(): CliIo {
  return {
    stdout: streamWriter(process.stdout),
    stderr: streamWriter(process.stderr),
    tty: !!process.stderr.isTTY,
    columns: process.stderr.columns || 100,
    handleSignals: true,
  };
}
