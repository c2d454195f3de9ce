/**
 * Shared helpers of the runs / trainer / CLI tests (not a test file itself): a tiny experiment file, its
 * resolved config, a temp folder, and an independent safetensors header decoder (8-byte little-endian
 * length + JSON, per the format's README) so checkpoint checks do not go through our own reader.
 */
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { resolveRuns } from '../../extension/engine/config';
import type { TrainingConfig } from '../../extension/shared/configTypes';

export const REPO = path.resolve(__dirname, '..', '..');

/** A tiny modular-addition experiment: `tiny` (epochs given), `long` (many epochs, for stop tests). */
export function tinyExperiment(epochs = 20, name = 'unit-tiny'): string {
  return `// test experiment
{
  "name": "${name}",
  "defaults": {
    "task": { "kind": "modular", "op": "add", "p": 7, "trainFraction": 0.6 },
    "model": { "hidden": [8] },
    "optimizer": { "name": "adamw", "lr": 0.01, "weightDecay": 0.1 },
    "training": { "epochs": ${epochs} },
    "probes": { "activationsEvery": 5, "spectrumEvery": 10, "benfordEvery": 10 },
    "checkpoints": { "every": 10, "atEnd": true }
  },
  "configs": [
    { "name": "tiny" },
    { "name": "long", "training": { "epochs": 200000 } }
  ]
}
`;
}

export function tinyConfig(configName = 'tiny', epochs = 20): TrainingConfig {
  const { runs, problems } = resolveRuns(tinyExperiment(epochs), { config: configName });
  if (problems.length || runs.length !== 1) throw new Error(`fixture does not resolve: ${JSON.stringify(problems)}`);
  return runs[0].config;
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `td-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DecodedSafetensors {
  metadata: Record<string, string> | null;
  tensors: Record<string, { dtype: string; shape: number[]; data: Float32Array }>;
}

/** Minimal independent safetensors reader (F32 only) for the tests. */
export function decodeSafetensorsFile(file: string): DecodedSafetensors {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  const base = 8 + n;
  const tensors: DecodedSafetensors['tensors'] = {};
  let metadata: Record<string, string> | null = null;
  let end = 0;
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      continue;
    }
    const t = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [a, b] = t.data_offsets;
    end = Math.max(end, b);
    const bytes = buf.subarray(base + a, base + b);
    const data = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(i * 4);
    tensors[name] = { dtype: t.dtype, shape: t.shape, data };
  }
  if (base + end !== buf.length) throw new Error(`data section is ${buf.length - base} bytes, offsets cover ${end}`);
  return { metadata, tensors };
}
