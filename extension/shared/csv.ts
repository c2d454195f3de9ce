/** CSV cells (RFC 4180). Pure: shared by the CLI's and the panels' CSV exports. */

/** RFC 4180 quoting for a cell that contains a comma, quote or line break. */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line of cells (numbers at full precision, null/undefined as empty). */
export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return cells.map((c) => (c === null || c === undefined ? '' : csvCell(String(c)))).join(',');
}
