/** The CLI's `main` called in-process with its output captured (no terminal, no signal handlers). */
import { main, type CliIo } from '../../extension/cli/main';

export async function runMain(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => (out += s), stderr: (s) => (err += s), tty: false, columns: 80, handleSignals: false };
  const code = await main(argv, io);
  return { code, out, err };
}
