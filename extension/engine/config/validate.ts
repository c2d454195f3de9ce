/**
 * Validation of experiment files against schema.json, with every problem located (JSON path, line:column,
 * offset/length for editor ranges). The validator walks the same schema the editor uses, so hover docs,
 * completion and our diagnostics cannot disagree; cross-field rules the schema cannot express follow it.
 * Parsing is jsonc-parser's (comments and trailing commas allowed).
 */
import { createScanner, parseTree, getNodeValue, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import schemaJson from './schema.json';

export interface ConfigProblem {
  path: string;
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  offset: number;
  length: number;
  severity: 'error' | 'warning';
}

// A small structural type for the subset of JSON Schema that schema.json uses.
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  required?: string[];
  items?: SchemaNode;
  enum?: unknown[];
  const?: unknown;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
  description?: string;
}

export const schema = schemaJson as unknown as SchemaNode;

export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}

export function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

export function didYouMean(word: string, options: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const o of options) {
    const d = levenshtein(word, o);
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

const typeName = (n: Node): string => (n.type === 'number' && Number.isInteger(n.value) ? 'integer' : n.type);
const show = (v: unknown) => JSON.stringify(v);

export class Validator {
  readonly problems: ConfigProblem[] = [];
  private readonly lines: LineIndex;

  constructor(readonly text: string) {
    this.lines = new LineIndex(text);
  }

  report(path: string, node: Node | undefined, message: string, severity: ConfigProblem['severity'] = 'error', offset?: number, length?: number): void {
    const off = offset ?? node?.offset ?? 0;
    const len = length ?? node?.length ?? 1;
    const { line, column } = this.lines.position(off);
    this.problems.push({ path, message, line, column, offset: off, length: Math.max(1, len), severity });
  }

  /** Validates `node` against `s`; `path` is the JSON path for messages. */
  check(node: Node, s: SchemaNode, path: string): void {
    if (s.oneOf) return this.checkOneOf(node, s.oneOf, path);
    if (s.anyOf) {
      const errs = s.anyOf.map((alt) => {
        const sub = new Validator(this.text);
        sub.check(node, alt, path);
        return sub.problems;
      });
      if (errs.some((e) => e.length === 0)) return;
      const what = s.anyOf.map((a) => (a.const !== undefined ? show(a.const) : `${a.type}${a.minimum !== undefined ? ` ≥ ${a.minimum}` : ''}`)).join(' or ');
      return this.report(path, node, `must be ${what}`);
    }
    if (s.const !== undefined && getNodeValue(node) !== s.const) return this.report(path, node, `must be ${show(s.const)}`);
    if (s.type) {
      const t = typeName(node);
      const ok = s.type === t || (s.type === 'number' && t === 'integer');
      if (!ok) return this.report(path, node, `must be ${s.type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(s.type) ? 'n' : ''} ${s.type}`} (got ${t === 'null' ? 'null' : show(getNodeValue(node))})`);
    }
    if (s.enum && !s.enum.includes(getNodeValue(node))) {
      const v = getNodeValue(node);
      const hint = typeof v === 'string' ? didYouMean(v, s.enum.map(String)) : null;
      return this.report(path, node, `must be one of ${s.enum.map(show).join(', ')}${hint ? ` — did you mean ${show(hint)}?` : ''}`);
    }
    if (node.type === 'number' && !Number.isFinite(node.value)) {
      return this.report(path, node, `must be a finite number (${this.text.slice(node.offset, node.offset + Math.min(node.length, 40))} is out of range)`);
    }
    if (node.type === 'number') {
      const v = node.value as number;
      if (s.exclusiveMinimum !== undefined && !(v > s.exclusiveMinimum)) this.report(path, node, `must be > ${s.exclusiveMinimum}`);
      else if (s.minimum !== undefined && v < s.minimum) this.report(path, node, `must be ≥ ${s.minimum}`);
      if (s.exclusiveMaximum !== undefined && !(v < s.exclusiveMaximum)) this.report(path, node, `must be < ${s.exclusiveMaximum}`);
      else if (s.maximum !== undefined && v > s.maximum) this.report(path, node, `must be ≤ ${s.maximum}`);
    }
    if (node.type === 'string' && s.pattern && !new RegExp(s.pattern).test(node.value as string)) {
      this.report(path, node, `must match ${s.pattern} (letters, digits, '.', '_' and '-')`);
    }
    if (node.type === 'array') {
      const items = node.children ?? [];
      if (s.minItems !== undefined && items.length < s.minItems) this.report(path, node, `must have at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
      if (s.maxItems !== undefined && items.length > s.maxItems) this.report(path, node, `must have at most ${s.maxItems} items`);
      if (s.items) items.forEach((c, i) => this.check(c, s.items!, `${path}[${i}]`));
    }
    if (node.type === 'object') this.checkObject(node, s, path);
  }

  private checkObject(node: Node, s: SchemaNode, path: string): void {
    const props = s.properties ?? {};
    const seen = new Set<string>();
    for (const prop of node.children ?? []) {
      const [keyNode, valueNode] = prop.children ?? [];
      if (!keyNode) continue;
      const key = keyNode.value as string;
      const sub = path ? `${path}.${key}` : key;
      if (seen.has(key)) this.report(sub, keyNode, `duplicate key '${key}'`);
      seen.add(key);
      if (Object.hasOwn(props, key)) {
        if (valueNode) this.check(valueNode, props[key], sub);
      } else if (typeof s.additionalProperties === 'object') {
        if (valueNode) this.check(valueNode, s.additionalProperties, sub);
      } else if (s.additionalProperties === false) {
        const hint = didYouMean(key, Object.keys(props));
        this.report(sub, keyNode, `unknown key '${key}'${hint ? ` — did you mean '${hint}'?` : ` (allowed: ${Object.keys(props).join(', ')})`}`);
      }
    }
    for (const r of s.required ?? []) {
      if (!seen.has(r)) this.report(path ? `${path}.${r}` : r, node, `missing required '${r}'`, 'error', node.offset, 1);
    }
  }

  /** oneOf with a `kind` discriminator (every branch has properties.kind.const). */
  private checkOneOf(node: Node, branches: SchemaNode[], path: string): void {
    const kinds = branches.map((b) => b.properties?.kind?.const as string);
    if (node.type !== 'object') return this.report(path, node, `must be an object with a 'kind' (one of ${kinds.map(show).join(', ')})`);
    const kindProp = node.children?.find((p) => p.children?.[0]?.value === 'kind');
    const kindNode = kindProp?.children?.[1];
    if (!kindNode) return this.report(`${path}.kind`, node, `missing 'kind' (one of ${kinds.map(show).join(', ')})`, 'error', node.offset, 1);
    const idx = kinds.indexOf(kindNode.value as string);
    if (idx < 0) {
      const hint = typeof kindNode.value === 'string' ? didYouMean(kindNode.value, kinds) : null;
      return this.report(`${path}.kind`, kindNode, `must be one of ${kinds.map(show).join(', ')}${hint ? ` — did you mean ${show(hint)}?` : ''}`);
    }
    this.check(node, branches[idx], path);
  }
}

export interface Parsed {
  root: Node | undefined;
  value: unknown;
  validator: Validator;
}

/** Deepest nesting of objects and arrays accepted (real files nest about six levels). */
export const MAX_DEPTH = 64;

// jsonc-parser's SyntaxKind is a const enum, which isolated modules cannot read: its values.
const OPEN_BRACE = 1;
const CLOSE_BRACE = 2;
const OPEN_BRACKET = 3;
const CLOSE_BRACKET = 4;
const EOF = 17;

/** Offset and length of the first bracket that opens nesting deeper than `max`, found without recursion. */
export function tooDeep(text: string, max = MAX_DEPTH): { offset: number; length: number } | null {
  const scanner = createScanner(text, false);
  let depth = 0;
  for (let k: number = scanner.scan(); k !== EOF; k = scanner.scan()) {
    if (k === OPEN_BRACE || k === OPEN_BRACKET) {
      if (++depth > max) return { offset: scanner.getTokenOffset(), length: 1 };
    } else if (k === CLOSE_BRACE || k === CLOSE_BRACKET) depth--;
  }
  return null;
}

/** A UTF-8 byte order mark, which editors strip before showing the text. */
export const BOM = '\uFEFF';

/**
 * Parses JSONC and reports syntax errors with positions. A leading BOM is dropped (as the editor does, so
 * offsets agree); nesting deeper than MAX_DEPTH is reported at its bracket and the text is not parsed.
 */
export function parseJsonc(input: string): Parsed {
  const text = input.startsWith(BOM) ? input.slice(1) : input;
  const deep = tooDeep(text);
  if (deep) {
    const v = new Validator(text);
    v.report('', undefined, `syntax error: nesting deeper than ${MAX_DEPTH} levels`, 'error', deep.offset, deep.length);
    return { root: undefined, value: undefined, validator: v };
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const v = new Validator(text);
  for (const e of errors) v.report('', undefined, `syntax error: ${printParseErrorCode(e.error)}`, 'error', e.offset, e.length);
  return { root, value: root ? getNodeValue(root) : undefined, validator: v };
}

/** The schema node for a dotted path inside a config (task.* accepted if any task kind has it). */
export function schemaAt(path: string, from: SchemaNode): SchemaNode | null {
  let cur: SchemaNode | null = from;
  for (const seg of path.split('.')) {
    if (!cur) return null;
    if (cur.oneOf) {
      const branch: SchemaNode | undefined = cur.oneOf.find((b) => b.properties && Object.hasOwn(b.properties, seg));
      cur = branch?.properties?.[seg] ?? null;
    } else {
      cur = cur.properties && Object.hasOwn(cur.properties, seg) ? cur.properties[seg] : null;
    }
  }
  return cur;
}
