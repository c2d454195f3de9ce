/**
 * Built-in defaults, read from the `default` values in schema.json — one source for the editor's hover docs
 * and for what a run actually uses.
 */
import type { TaskConfig, TrainingConfig } from '../../shared/configTypes';
import { schema, type SchemaNode } from './validate';

function defaultsOf(s: SchemaNode): unknown {
  if (s.properties && s.type === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, sub] of Object.entries(s.properties)) {
      if (sub.oneOf || k === 'kind') continue;
      const d = sub.properties ? defaultsOf(sub) : sub.default;
      if (d !== undefined) out[k] = structuredClone(d);
    }
    return out;
  }
  return s.default;
}

const configSchema = schema.properties!.defaults;

/** Every field of a TrainingConfig except `task`, at its default. */
export const BASE_DEFAULTS = defaultsOf(configSchema) as Omit<TrainingConfig, 'task'>;

/** Defaults of each task kind (merged under what the user writes for that kind). */
export const TASK_DEFAULTS: Record<TaskConfig['kind'], Record<string, unknown>> = Object.fromEntries(
  configSchema.properties!.task.oneOf!.map((b) => [b.properties!.kind.const as string, { kind: b.properties!.kind.const, ...(defaultsOf(b) as object) }]),
) as unknown as Record<TaskConfig["kind"], Record<string, unknown>>;
