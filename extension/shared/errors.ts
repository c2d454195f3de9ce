/** How a caught value reads in a message: the one place that unwraps `unknown` errors. */

/** The error's message (a thrown non-Error as text). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first line of the error's message (its name when the message is empty), for one-line reports. */
export function errorLine(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] || err.name : String(err);
}
