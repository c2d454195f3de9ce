/**
 * Completion, hover and quick-fix content for experiment files, from schema.json (the schema the validator
 * walks, so docs and diagnostics cannot disagree) and aware of the task kind and optimizer in effect: inside a
 * `task` only the fields of its `kind`, inside an `optimizer` only the fields of its `name` (`x-optimizers`),
 * where a config's kind or optimizer comes from the config itself, else from `defaults`, else the built-in
 * default. Hover shows the field's type, default, range, one line of explanation and the paper it comes from
 * (`x-source`). Pure (no vscode): the providers in experimentEditing.ts are thin glue.
 *
 * VS Code's JSON service does not validate these files (no `jsonValidation` contribution, no `$schema` in the
 * samples), so every problem is reported once, by the extension; see diagnostics.ts.
 */
import { findNodeAtLocation, getLocation, parseTree, type Node } from 'jsonc-parser';
import { schema, type SchemaNode } from '../engine/config/validate';

/** schema.json's editor-only annotations. */
interface DocNode extends SchemaNode {
  markdownDescription?: string;
  'x-source'?: string;
  'x-optimizers'?: string[];
}

export type JsonPath = (string | number)[];

export interface Completion {
  label: string;
  /** Snippet text (VS Code snippet syntax) that replaces text[offset, offset + length). */
  insert: string;
  offset: number;
  length: number;
  /** One line: type, default, range. */
  detail: string;
  documentation: string;
  kind: 'property' | 'value';
}

export interface Hover {
  markdown: string;
  offset: number;
  length: number;
}

const OPTIMIZER_DEFAULT = (() => {
  const o = schema.properties?.defaults?.properties?.optimizer?.properties?.name?.default;
  return typeof o === 'string' ? o : 'adamw';
})();

/** `configs[1].optimizer.lr` → ['configs', 1, 'optimizer', 'lr'] (the validator's problem paths). */
export function parsePath(path: string): JsonPath {
  const out: JsonPath = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

function valueAt(root: Node | undefined, path: JsonPath): unknown {
  const n = root ? findNodeAtLocation(root, path) : undefined;
  return n && (n.type === 'string' || n.type === 'number' || n.type === 'boolean') ? n.value : undefined;
}

/**
 * The setting in effect for `field` ('task.kind' or 'optimizer.name') of the config object at `configPath`
 * (['defaults'] or ['configs', i]): the config's own, else the defaults', else undefined.
 */
function inEffect(root: Node | undefined, configPath: JsonPath, section: string, field: string): unknown {
  return valueAt(root, [...configPath, section, field]) ?? (configPath[0] === 'configs' ? valueAt(root, ['defaults', section, field]) : undefined);
}

export interface Resolved {
  schema: DocNode;
  /** The task kind in effect where the path is inside a task. */
  taskKind?: string;
  /** The optimizer in effect where the path is inside an optimizer. */
  optimizer?: string;
}

/** The schema of the value at `path`, with task `oneOf` resolved by the kind in effect; null off the schema. */
export function resolveSchema(root: Node | undefined, path: JsonPath): Resolved | null {
  let cur: DocNode | undefined = schema as DocNode;
  const out: Omit<Resolved, 'schema'> = {};
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (!cur) return null;
    if (typeof seg === 'number') {
      cur = cur.items as DocNode | undefined;
      continue;
    }
    const configPath = configPathOf(path.slice(0, i));
    if (cur.oneOf) cur = taskBranch(cur, root, configPath, out);
    const props: Record<string, SchemaNode> | undefined = cur?.properties;
    if (props && Object.hasOwn(props, seg)) cur = props[seg] as DocNode;
    else if (cur && typeof cur.additionalProperties === 'object') cur = cur.additionalProperties as DocNode;
    else return null;
    if (seg === 'optimizer' && configPath) out.optimizer = String(inEffect(root, configPath, 'optimizer', 'name') ?? OPTIMIZER_DEFAULT);
  }
  if (cur?.oneOf) cur = taskBranch(cur, root, configPathOf(path), out);
  return cur ? { schema: cur, ...out } : null;
}

/** ['configs', 2, 'task'] → ['configs', 2]; ['defaults', 'task'] → ['defaults']; otherwise null. */
function configPathOf(path: JsonPath): JsonPath | null {
  if (path[0] === 'defaults') return ['defaults'];
  if (path[0] === 'configs' && typeof path[1] === 'number') return ['configs', path[1]];
  return null;
}

function taskBranch(node: DocNode, root: Node | undefined, configPath: JsonPath | null, out: Omit<Resolved, 'schema'>): DocNode {
  const kind = configPath ? inEffect(root, configPath, 'task', 'kind') : undefined;
  const branch = node.oneOf!.find((b) => b.properties?.kind?.const === kind) as DocNode | undefined;
  if (branch) {
    out.taskKind = String(kind);
    return branch;
  }
  // No kind (yet): every field of every kind, so `kind` itself can be completed.
  const properties: Record<string, SchemaNode> = {};
  for (const b of node.oneOf!) for (const [k, v] of Object.entries(b.properties ?? {})) if (!(k in properties) || k === 'kind') properties[k] = k === 'kind' ? { ...v, const: undefined, enum: node.oneOf!.map((x) => x.properties?.kind?.const) } : v;
  return { ...node, oneOf: undefined, type: 'object', properties };
}

/** Whether a field applies to the optimizer in effect (fields without `x-optimizers` apply to all). */
export function appliesTo(field: DocNode, optimizer: string | undefined): boolean {
  const only = field['x-optimizers'];
  return !only || optimizer === undefined || only.includes(optimizer);
}

export function rangeText(s: SchemaNode): string {
  const lo = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined ? `≥ ${s.minimum}` : '';
  const hi = s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : s.maximum !== undefined ? `≤ ${s.maximum}` : '';
  if (s.enum) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  return [lo, hi].filter(Boolean).join(', ');
}

function typeText(s: SchemaNode): string {
  if (s.anyOf) return s.anyOf.map((a) => (a.const !== undefined ? JSON.stringify(a.const) : a.type)).join(' | ');
  return s.type ?? (s.oneOf ? 'object' : 'value');
}

/** One line: `number · default 0.001 · > 0`. */
export function detailOf(s: SchemaNode): string {
  const parts = [typeText(s)];
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  const r = rangeText(s);
  if (r) parts.push(r);
  return parts.join(' · ');
}

/** Hover / completion documentation: what it is, its default and range, where it comes from, and whether it applies. */
export function docOf(key: string, s: DocNode, ctx: { optimizer?: string; taskKind?: string } = {}): string {
  const lines = [`**${key}** — ${detailOf(s)}`, '', s.markdownDescription ?? s.description ?? ''];
  if (s['x-source']) lines.push('', `*From:* ${s['x-source']}`);
  if (s['x-optimizers'] && ctx.optimizer && !s['x-optimizers'].includes(ctx.optimizer)) {
    lines.push('', `⚠ Has no effect with the \`${ctx.optimizer}\` optimizer (applies to ${s['x-optimizers'].map((o) => `\`${o}\``).join(', ')}).`);
  }
  if (ctx.taskKind) lines.push('', `Task kind in effect: \`${ctx.taskKind}\`.`);
  return lines.join('\n');
}

function snippetValue(s: SchemaNode): string {
  const d = s.default;
  if (s.enum) return `"\${1|${s.enum.map(String).join(',')}|}"`;
  if (s.type === 'boolean') return `\${1|${d === true ? 'true,false' : 'false,true'}|}`;
  if (s.type === 'object' || s.oneOf) return '{$1}';
  if (d !== undefined) return typeof d === 'string' ? `"\${1:${d}}"` : `\${1:${JSON.stringify(d)}}`;
  if (s.type === 'array') return '[$1]';
  if (s.type === 'string') return '"$1"';
  return '$1';
}

/** The token being typed (a key or a value) to replace: the string or literal under the cursor, else nothing. */
function typedRange(text: string, offset: number, node: Node | undefined): { offset: number; length: number } {
  if (!node || offset < node.offset || offset > node.offset + node.length) return { offset, length: 0 };
  const raw = text.slice(node.offset, node.offset + node.length);
  // An unterminated string runs on past the cursor: replace only up to it.
  const closed = node.type !== 'string' && node.type !== 'property' ? true : raw.length > 1 && raw.endsWith('"') && !raw.includes('\n');
  return { offset: node.offset, length: closed ? node.length : offset - node.offset };
}

const snippetEscape = (s: string) => s.replace(/[$}\\]/g, '\\$&');

/** Completions at `offset`: the applicable keys not yet written (at a key), or the allowed values (at a value). */
export function completionsAt(text: string, offset: number): Completion[] {
  const root = parseTree(text);
  const loc = getLocation(text, offset);
  const range = typedRange(text, offset, loc.previousNode);
  if (loc.isAtPropertyKey) {
    const objPath = loc.path.slice(0, -1);
    const r = resolveSchema(root, objPath);
    const props = r?.schema.properties;
    if (!props) return [];
    const obj = root ? findNodeAtLocation(root, objPath) : undefined;
    const typed = String(loc.path[loc.path.length - 1] ?? '');
    const present = new Set((obj?.children ?? []).map((p) => p.children?.[0]?.value as string).filter((k) => k !== typed));
    // Renaming a key that already has its value: insert the key alone.
    const hasValue = /^\s*:/.test(text.slice(range.offset + range.length));
    return Object.entries(props)
      .filter(([k, s]) => !present.has(k) && appliesTo(s as DocNode, r.optimizer))
      .map(([k, s]) => ({
        label: k,
        insert: hasValue ? `"${snippetEscape(k)}"` : `"${snippetEscape(k)}": ${snippetValue(s)}`,
        ...range,
        detail: detailOf(s),
        documentation: docOf(k, s as DocNode, r),
        kind: 'property' as const,
      }));
  }
  const r = resolveSchema(root, loc.path);
  if (!r) return [];
  const s = r.schema;
  const values: unknown[] = s.enum ?? (s.const !== undefined ? [s.const] : s.type === 'boolean' ? [true, false] : s.anyOf ? s.anyOf.flatMap((a) => (a.const !== undefined ? [a.const] : [])) : []);
  if (values.length === 0 && s.default !== undefined && s.type !== 'object') values.push(s.default);
  return values.map((v) => ({
    label: JSON.stringify(v),
    insert: snippetEscape(JSON.stringify(v)),
    ...range,
    detail: v === s.default ? `default · ${detailOf(s)}` : detailOf(s),
    documentation: docOf(String(loc.path[loc.path.length - 1] ?? ''), s, r),
    kind: 'value' as const,
  }));
}

/** Hover over a key (or its value): the field's documentation for the kind and optimizer in effect. */
export function hoverAt(text: string, offset: number): Hover | null {
  const root = parseTree(text);
  const loc = getLocation(text, offset);
  const key = loc.path[loc.path.length - 1];
  if (typeof key !== 'string' || key === '') return null;
  const r = resolveSchema(root, loc.path);
  if (!r) return null;
  const node = root ? findNodeAtLocation(root, loc.path) : undefined;
  const keyNode = node?.parent?.children?.[0];
  const target = loc.isAtPropertyKey ? keyNode : node;
  const optimizer = loc.path.includes('optimizer') ? r.optimizer : undefined;
  return {
    markdown: docOf(loc.path.filter((s) => typeof s === 'string' && s !== 'configs' && s !== 'defaults').join('.'), r.schema, { optimizer, taskKind: loc.path.includes('task') ? r.taskKind : undefined }),
    offset: target?.offset ?? offset,
    length: target?.length ?? 0,
  };
}

export interface Fix {
  title: string;
  /** Replace text[offset, offset + length) with `text`. */
  offset: number;
  length: number;
  text: string;
  preferred: boolean;
}

/**
 * Quick fixes for one reported problem: the validator's "did you mean" suggestion, or, for a number outside its
 * schema range, the nearest allowed bound (or the default when the bound itself is excluded).
 */
export function fixesFor(text: string, problem: { path: string; offset: number; length: number; message: string }): Fix[] {
  const out: Fix[] = [];
  const hint = /did you mean (?:'([^']+)'|"([^"]+)")\?/.exec(problem.message);
  if (hint) {
    const word = hint[1] ?? hint[2];
    out.push({ title: `Change to '${word}'`, offset: problem.offset, length: problem.length, text: JSON.stringify(word), preferred: true });
    return out;
  }
  const root = parseTree(text);
  const path = parsePath(problem.path);
  const node = root ? findNodeAtLocation(root, path) : undefined;
  if (!node || node.type !== 'number') return out;
  const r = resolveSchema(root, path);
  if (!r) return out;
  for (const v of inRange(node.value as number, r.schema)) {
    out.push({ title: `Change to ${v.value} (${v.why})`, offset: node.offset, length: node.length, text: String(v.value), preferred: out.length === 0 });
  }
  return out;
}

function inRange(v: number, s: SchemaNode): { value: number; why: string }[] {
  const ok = (x: number) =>
    (s.minimum === undefined || x >= s.minimum) &&
    (s.maximum === undefined || x <= s.maximum) &&
    (s.exclusiveMinimum === undefined || x > s.exclusiveMinimum) &&
    (s.exclusiveMaximum === undefined || x < s.exclusiveMaximum) &&
    (s.type !== 'integer' || Number.isInteger(x));
  if (ok(v)) return [];
  const out: { value: number; why: string }[] = [];
  if (s.minimum !== undefined && v < s.minimum) out.push({ value: s.minimum, why: 'the minimum' });
  if (s.maximum !== undefined && v > s.maximum) out.push({ value: s.maximum, why: 'the maximum' });
  if (s.type === 'integer' && !Number.isInteger(v) && ok(Math.round(v))) out.push({ value: Math.round(v), why: 'nearest integer' });
  if (typeof s.default === 'number' && ok(s.default) && !out.some((o) => o.value === s.default)) out.push({ value: s.default, why: 'the default' });
  return out.filter((o) => ok(o.value));
}

/** The `$schema` property of an experiment file, if any (VS Code's JSON service would validate it a second time). */
export function schemaReference(text: string): { offset: number; length: number; deleteOffset: number; deleteLength: number } | null {
  const root = parseTree(text);
  const props = root?.type === 'object' ? root.children ?? [] : [];
  const i = props.findIndex((p) => p.children?.[0]?.value === '$schema');
  if (i < 0) return null;
  const prop = props[i];
  // Delete the property with its comma and the rest of its line.
  let end = prop.offset + prop.length;
  const rest = text.slice(end);
  const m = /^\s*,?[ \t]*(\r?\n)?/.exec(rest);
  end += m ? m[0].length : 0;
  let start = prop.offset;
  while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  return { offset: prop.children![0].offset, length: prop.children![0].length, deleteOffset: start, deleteLength: end - start };
}
