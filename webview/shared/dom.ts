/** The one element helper of the webviews (both panels build their DOM with it). */

export type Attrs = Record<string, string | number | boolean | undefined>;

/**
 * `tag` with attributes and children: `class` sets the class name, `text` the text content, `true` an empty
 * attribute; `undefined` and `false` are left out, as are null / undefined children.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** Shorthand for `h(tag, { class: cls, text })`. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  return h(tag, { class: cls || undefined, text });
}
