/**
 * The webview UI components (buttons, dropdowns), in one module: today `@vscode/webview-ui-toolkit`, which its
 * authors have deprecated; moving to `@vscode-elements/elements` (or plain themed elements) changes this file
 * only. Nothing else in webview/ names a toolkit element or imports the toolkit.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDropdown, vsCodeOption } from '@vscode/webview-ui-toolkit';

let registered = false;

/** Registers the components with the page (once; call before creating any). */
export function registerComponents(): void {
  if (registered) return;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption());
  registered = true;
}

/** A themed button. */
export function button(label: string, opts: { title?: string; appearance?: 'primary' | 'secondary'; className?: string; onClick?: () => void } = {}): HTMLElement {
  const b = document.createElement('vscode-button');
  b.setAttribute('appearance', opts.appearance ?? 'secondary');
  if (opts.title !== undefined) b.setAttribute('title', opts.title);
  if (opts.className) b.className = opts.className;
  b.textContent = label;
  if (opts.onClick) b.addEventListener('click', opts.onClick);
  return b;
}

/** A themed dropdown whose options are replaced only when they change. */
export class Dropdown {
  readonly el: HTMLElement;
  private values: string[] = [];

  constructor(
    label: string,
    private readonly onChange: (value: string) => void,
  ) {
    this.el = document.createElement('vscode-dropdown');
    this.el.setAttribute('aria-label', label);
    this.el.setAttribute('title', label);
    this.el.addEventListener('change', () => {
      const v = (this.el as unknown as { value: string }).value;
      if (v) this.onChange(v);
    });
  }

  setOptions(options: { value: string; label: string }[], selected: string): void {
    const values = options.map((o) => o.value);
    if (values.length !== this.values.length || values.some((v, i) => v !== this.values[i])) {
      this.el.replaceChildren(
        ...options.map((o) => {
          const opt = document.createElement('vscode-option');
          opt.setAttribute('value', o.value);
          opt.textContent = o.label;
          if (o.value === selected) opt.setAttribute('selected', '');
          return opt;
        }),
      );
      this.values = values;
    }
    const dd = this.el as unknown as { value: string };
    if (dd.value !== selected) dd.value = selected;
    this.el.classList.toggle('hidden', options.length <= 1);
  }
}
