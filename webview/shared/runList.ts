/**
 * A run list for panels that show many runs: a collapsible, height-bounded table (its body scrolls, so the
 * charts below stay on screen with 100+ runs) with search, click-to-sort headings and a colour swatch per run
 * (the colour key of the charts). Rows are kept and updated in place, so a live run's numbers change without
 * rebuilding the list under the pointer. Filtering and sorting are in runListModel.ts (pure).
 *
 * Styles: media/runList.css (a panel's stylesheet imports it).
 * Usage: `new RunList({ columns, key, label, color, state, onState })`, append `.el`, call `setRows(rows)` when
 * the set of runs changes and `refresh()` when their values change.
 */
import { el } from './dom';
import { nextSort, visibleRows, type RunListColumn, type RunListState } from './runListModel';

export type { RunListColumn, RunListState } from './runListModel';

export interface RunListOptions<T> {
  /** Heading text before the count, e.g. "Runs". */
  title: string;
  columns: RunListColumn<T>[];
  key(row: T): string;
  /** The run's short label (what differs from the others). */
  label(row: T): string;
  /** Hover text of the label: the full name and every differing value. */
  detail?(row: T): string;
  color(row: T): string;
  /** Extra text the search looks in besides the label (run name, folder). */
  searchText?(row: T): string;
  /** A custom cell (a status badge, …) instead of the column's text. */
  cell?(row: T, column: RunListColumn<T>): HTMLElement | null;
  /** Buttons at the end of a row. */
  actions?(row: T): HTMLElement[];
  /** A short summary after the count ("12 generalized"). */
  summary?(rows: T[]): string;
  state: RunListState;
  /** The user changed the search, the sort or collapsed the list (persist it). */
  onState(state: RunListState): void;
  /** The pointer is over a run's row (null: left the list). */
  onHover?(key: string | null): void;
}

interface Row<T> {
  row: T;
  tr: HTMLTableRowElement;
  cells: HTMLElement[];
  label: HTMLElement;
  actions: HTMLElement | null;
  /** The titles of the buttons shown, to rebuild them only when they change (Stop goes when a run ends). */
  actionsKey: string;
}

export class RunList<T> {
  readonly el: HTMLElement;
  private state: RunListState;
  private rows: Row<T>[] = [];
  private order: number[] = [];
  private readonly count: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly search: HTMLInputElement;
  private readonly body: HTMLElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly heads: HTMLTableCellElement[] = [];
  private readonly empty: HTMLElement;

  constructor(private readonly opts: RunListOptions<T>) {
    this.state = { ...opts.state };
    this.el = el('section', 'run-list');
    const bar = el('div', 'run-list-bar');
    this.toggle = el('button', 'run-list-toggle');
    this.toggle.type = 'button';
    this.toggle.addEventListener('click', () => this.setState({ ...this.state, collapsed: !this.state.collapsed }));
    this.count = el('span', 'run-list-count');
    this.summary = el('span', 'run-list-summary');
    this.search = el('input', 'run-list-search');
    this.search.type = 'search';
    this.search.placeholder = 'Filter runs';
    this.search.setAttribute('aria-label', 'Filter runs by label or name');
    this.search.value = this.state.query;
    this.search.addEventListener('input', () => this.setState({ ...this.state, query: this.search.value }));
    bar.append(this.toggle, this.count, this.summary, this.search);

    this.body = el('div', 'run-list-body');
    const table = el('table', 'run-list-table');
    const thead = el('thead');
    const head = el('tr');
    head.append(el('th', 'swatch-col'));
    const cols: { key: string; title: string; help?: string }[] = [{ key: '__label', title: 'run', help: 'What differs between the runs shown; hover a label for the full name' }, ...opts.columns];
    for (const c of cols) {
      const th = el('th', 'sortable', c.title);
      th.dataset.key = c.key;
      th.title = `${c.help ? `${c.help}. ` : ''}Click to sort`;
      th.tabIndex = 0;
      const sort = () => this.setState(nextSort(this.state, c.key));
      th.addEventListener('click', sort);
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') (e.preventDefault(), sort());
      });
      this.heads.push(th);
      head.append(th);
    }
    if (opts.actions) head.append(el('th'));
    thead.append(head);
    this.tbody = el('tbody');
    table.append(thead, this.tbody);
    this.empty = el('div', 'run-list-empty', 'No run matches the filter.');
    this.body.append(table, this.empty);
    if (opts.onHover) this.body.addEventListener('mouseleave', () => opts.onHover!(null));
    this.el.append(bar, this.body);
    this.applyState();
  }

  /** The columns with the label column first (sorting by label uses it). */
  private get sortColumns(): RunListColumn<T>[] {
    return [{ key: '__label', title: 'run', value: (r) => this.opts.label(r) }, ...this.opts.columns];
  }

  setRows(rows: T[]): void {
    this.rows = rows.map((row) => this.buildRow(row));
    this.refresh();
  }

  /** Re-read every cell (live values) and re-apply the filter and sort. */
  refresh(): void {
    for (const r of this.rows) {
      r.label.textContent = this.opts.label(r.row);
      this.opts.columns.forEach((c, i) => {
        const td = r.cells[i];
        if (td) fill(td, this.opts.cell?.(r.row, c) ?? null, c.text ? c.text(r.row) : fmtCell(c.value(r.row)));
      });
      if (r.actions && this.opts.actions) {
        const buttons = this.opts.actions(r.row);
        const key = buttons.map((b) => b.title).join('\n');
        if (key !== r.actionsKey) (r.actions.replaceChildren(...buttons), (r.actionsKey = key));
      }
    }
    this.reorder();
  }

  private buildRow(row: T): Row<T> {
    const tr = el('tr');
    tr.dataset.run = this.opts.key(row);
    const sw = el('td', 'swatch-col');
    const swatch = el('span', 'swatch');
    swatch.style.backgroundColor = this.opts.color(row);
    sw.append(swatch);
    const labelTd = el('td', 'run-label-cell');
    const label = el('span', 'run-label', this.opts.label(row));
    label.title = this.opts.detail?.(row) ?? this.opts.label(row);
    labelTd.append(label);
    tr.append(sw, labelTd);
    const cells = this.opts.columns.map((c) => {
      const td = el('td');
      td.dataset.col = c.key;
      tr.append(td);
      return td;
    });
    const actions = this.opts.actions ? el('td', 'row-actions') : null;
    if (actions) tr.append(actions);
    if (this.opts.onHover) tr.addEventListener('mouseenter', () => this.opts.onHover!(this.opts.key(row)));
    return { row, tr, cells, label, actions, actionsKey: '\u0000' };
  }

  private reorder(): void {
    const search = (r: T) => `${this.opts.label(r)} ${this.opts.searchText?.(r) ?? ''}`;
    const order = visibleRows(
      this.rows.map((r) => r.row),
      this.sortColumns,
      this.state,
      search,
    );
    const same = order.length === this.order.length && order.every((v, i) => v === this.order[i]) && this.tbody.childElementCount === order.length;
    if (!same) {
      this.tbody.replaceChildren(...order.map((i) => this.rows[i].tr));
      this.order = order;
    }
    const n = this.rows.length;
    this.count.textContent = order.length === n ? `${this.opts.title} (${n})` : `${this.opts.title} (${order.length} of ${n})`;
    this.summary.textContent = this.opts.summary?.(this.rows.map((r) => r.row)) ?? '';
    this.empty.classList.toggle('hidden', order.length > 0 || n === 0);
    this.el.dataset.rows = String(order.length);
  }

  private setState(s: RunListState): void {
    this.state = s;
    this.applyState();
    this.reorder();
    this.opts.onState({ ...s });
  }

  private applyState(): void {
    const { collapsed, sortKey, sortDesc } = this.state;
    this.el.classList.toggle('collapsed', collapsed);
    this.toggle.textContent = collapsed ? '▸' : '▾';
    this.toggle.title = collapsed ? 'Show the run list' : 'Hide the run list';
    this.toggle.setAttribute('aria-expanded', String(!collapsed));
    for (const th of this.heads) {
      const on = th.dataset.key === sortKey;
      th.classList.toggle('sorted', on);
      th.setAttribute('aria-sort', on ? (sortDesc ? 'descending' : 'ascending') : 'none');
      th.dataset.arrow = on ? (sortDesc ? '↓' : '↑') : '';
    }
  }
}

/** Put a custom element (replaced only when it reads differently) or plain text in a cell. */
function fill(td: HTMLElement, custom: HTMLElement | null, text: string): void {
  if (custom) {
    const old = td.firstElementChild;
    if (!old || old.outerHTML !== custom.outerHTML || td.childNodes.length !== 1) td.replaceChildren(custom);
  } else if (td.textContent !== text || td.firstElementChild) td.textContent = text;
}

function fmtCell(v: string | number | null): string {
  if (v === null) return '—';
  return String(v);
}
