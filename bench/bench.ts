/**
 * `npm run bench`: speed of the training engine on workload W — (a + b) mod 97, one-hot input, one hidden
 * layer of width 128 and 256, full batch of 4704 training rows, AdamW — for every backend that loads here.
 *
 * For each backend and width it trains three ways, through the real `train()` loop:
 *  - "probes": probes.every = 1, i.e. every epoch also evaluates the whole test split (loss, accuracy), reads
 *    the train loss/accuracy, the L2 norm of every gradient and weight tensor, the update-to-weight ratios,
 *    runs the change-point detectors and emits the metrics record — as runs do by default: the test
 *    evaluation on the evaluation thread (testEvaluator.ts) when the machine has a second core;
 *  - "probes, inline eval": the same with the test evaluation on the training thread (what one core gets);
 *  - "plain": probes.every = ∞, i.e. each epoch is only the optimizer step — forward pass, loss, backward
 *    pass, AdamW update — with no test evaluation, no norms, no records.
 * The heavier probes (activations, spectra, Benford) are off in all three and timed separately below, since
 * they run every k epochs. An epoch's time is the interval between the loop's consecutive `shouldStop()`
 * calls (one per epoch); a run's figure is its median epoch, and each figure is the best of several
 * alternating runs. That is wall-clock time — what a user waits for — so run the bench on an otherwise idle
 * machine: it prints the load average and says when other processes held the cores. The process CPU time
 * per epoch (every thread: training, evaluation thread, GC) is printed beside, as the cost in core time.
 *
 * Options: --quick (fewer epochs), --backends wasm,cpu, --widths 128,256.
 */
import { performance } from 'node:perf_hooks';
import { loadBackend, type TF } from '../extension/engine/backend';
import type { BackendName } from '../extension/shared/protocol';
import { train, activationProbe } from '../extension/engine/train';
import { BASE_DEFAULTS, TASK_DEFAULTS, deepMerge } from '../extension/engine/config';
import type { TrainingConfig } from '../extension/shared/configTypes';
import { makeDataset } from '../extension/engine/tasks/datasets';
import { Mlp } from '../extension/engine/model/mlp';
import { matrixSpectrum } from '../extension/engine/probes/spectra';

const TARGET_OVERHEAD = 15; // % of plain training
const TARGET_WASM_256_MS = 50; // ms per epoch with all per-epoch probes, wasm backend
const PYTORCH_REF_MS = 24; // PyTorch + OpenBLAS, one thread, width 256 (issue 2)

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const widths = (arg('--widths') ?? '128,256').split(',').map(Number);
const backends = (arg('--backends') ?? 'tensorflow,wasm,cpu').split(',') as BackendName[];

function workload(width: number, epochs: number, probesEvery: number): TrainingConfig {
  return deepMerge(BASE_DEFAULTS as unknown as TrainingConfig, {
    task: { ...TASK_DEFAULTS.modular, op: 'add', p: 97, trainFraction: 0.5, input: 'onehot' },
    model: { hidden: [width], activation: 'relu', init: 'glorot-uniform' },
    optimizer: { name: 'adamw', lr: 3e-3, beta1: 0.9, beta2: 0.98, weightDecay: 1 },
    training: { epochs, batchSize: 'full', seed: 0 },
    probes: { every: probesEvery, activationsEvery: 0, spectrumEvery: 0, benfordEvery: 0 },
    checkpoints: { every: 0, atEnd: false },
  });
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface EpochTiming {
  wallMedian: number;
  cpuMean: number;
}

/** Times epochs 3..epochs−1 of a run (epoch 1 and 2 warm up; the last epoch always measures). */
async function timeRun(tf: TF, width: number, epochs: number, probesEvery: number, evaluation: 'auto' | 'inline' = 'auto'): Promise<EpochTiming> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let epoch = 0;
  await train(tf, workload(width, epochs, probesEvery), {
    onRecord: () => {},
    onCheckpoint: () => {},
    shouldStop: () => {
      epoch++;
      wall.push(performance.now());
      cpu.push(cpuMs());
      return false;
    },
  }, { evaluation });
  // shouldStop() runs at the start of epochs 1..epochs: interval k → k+1 is epoch k.
  const first = 3;
  const last = epochs - 1; // exclusive of the final epoch, which always measures
  const durations: number[] = [];
  for (let k = first; k < last; k++) durations.push(wall[k] - wall[k - 1]);
  return { wallMedian: median(durations), cpuMean: (cpu[last - 1] - cpu[first - 1]) / (last - first) };
}

/** Median CPU time of `f` over `reps` calls (after one warm-up call). */
function timeIt(f: () => void, reps: number): number {
  f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = cpuMs();
    f();
    ts.push(cpuMs() - c0);
  }
  return median(ts);
}

const fmt = (x: number, d = 1) => x.toFixed(d).padStart(7);
const lines: string[] = [];
const out = (s = '') => {
  lines.push(s);
  console.log(s);
};

async function main(): Promise<void> {
  const t0 = performance.now();
  out(`Training Dynamics bench — workload W: (a + b) mod 97, one-hot, hidden [width] relu, full batch 4704 rows, AdamW`);
  const os = await import('node:os');
  const loadAtStart = os.loadavg()[0];
  out(`node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  out(`"plain" = the optimizer step alone (forward, loss, backward, AdamW update; no test evaluation, no norms, no records).`);
  out(`"probes" = plain + every per-epoch probe (test loss/accuracy, train loss/accuracy, gradient and weight norms,`);
  out(`           update ratios, change-point detectors, the metrics record).`);
  out(`"probes" evaluates the test split on the evaluation thread (a second core), "inline" on the training thread.`);
  out(`ms/ep = median wall-clock time of an epoch, best of alternating runs (inflated when other processes hold the cores);`);
  out(`cpu = process CPU time per epoch of the "probes" run, every thread counted (the cost in core time).`);
  out(`Targets: probe overhead ≤ ${TARGET_OVERHEAD} %; width 256 on wasm ≤ ${TARGET_WASM_256_MS} ms/epoch with probes (PyTorch/OpenBLAS 1 thread ≈ ${PYTORCH_REF_MS} ms).`);
  out();
  for (const b of backends) {
    let tf: TF;
    let detail: string;
    try {
      ({ tf, detail } = await loadBackend(b));
    } catch (err) {
      out(`${b}: not available (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
      out();
      continue;
    }
    out(`${b}: ${detail}`);
    out(`  width   probes ms/ep  epochs/s   plain ms/ep  epochs/s   overhead   inline ms/ep  overhead   cpu ms/ep   targets`);
    for (const width of widths) {
      // cpu is ~10× slower: fewer epochs keep the whole bench within ~3 minutes.
      const epochs = b === 'cpu' ? (quick ? 6 : 8) : quick ? 12 : 20;
      const rounds = b === 'cpu' ? 1 : quick ? 2 : 4;
      const best = (a: EpochTiming | null, x: EpochTiming) => (a === null || x.wallMedian < a.wallMedian ? x : a);
      let probes: EpochTiming | null = null;
      let inline: EpochTiming | null = null;
      let plain: EpochTiming | null = null;
      for (let r = 0; r < rounds; r++) {
        probes = best(probes, await timeRun(tf, width, epochs, 1));
        plain = best(plain, await timeRun(tf, width, epochs, 1_000_000));
        inline = best(inline, await timeRun(tf, width, epochs, 1, 'inline'));
      }
      if (!probes || !plain || !inline) continue;
      const over = (x: EpochTiming) => (100 * (x.wallMedian - plain!.wallMedian)) / plain!.wallMedian;
      const overhead = over(probes);
      const targets: string[] = [`overhead ≤${TARGET_OVERHEAD} % ${overhead <= TARGET_OVERHEAD ? 'met' : 'missed'}`];
      if (b === 'wasm' && width === 256) targets.push(`≤${TARGET_WASM_256_MS} ms ${probes.wallMedian <= TARGET_WASM_256_MS ? 'met' : 'missed'}`);
      out(
        `  ${String(width).padStart(5)}  ${fmt(probes.wallMedian)}   ${fmt(1000 / probes.wallMedian, 2)}   ${fmt(plain.wallMedian)}   ${fmt(1000 / plain.wallMedian, 2)}   ${fmt(overhead)} %   ${fmt(inline.wallMedian)}   ${fmt(over(inline))} %   ${fmt(probes.cpuMean)}   ${targets.join(', ')}`,
      );
    }
    // The every-k probes, on width 256 (after 5 epochs of training so activations are not at their init).
    const cfg = workload(256, 5, 1_000_000);
    const data = makeDataset(cfg.task, 0);
    const model = new Mlp(tf, cfg.model, data, 0);
    const trainIn = model.input(data.train, data);
    const testIn = model.input(data.test, data);
    const mats = model.params.filter((q) => q.shape.length === 2);
    const reps = b === 'cpu' ? 2 : 3;
    const dead = timeIt(() => activationProbe(tf, model, trainIn, testIn, data), reps);
    const spec = timeIt(() => mats.forEach((q) => matrixSpectrum(q.name, q.variable.dataSync(), q.shape[0], q.shape[1], cfg.probes.histogramBins)), reps);
    out(`  width 256: one dead-neuron/sparsity/entropy pass over all 9409 rows ${fmt(dead)} ms; one full spectrum probe (${mats.map((q) => q.shape.join('×')).join(', ')}) ${fmt(spec)} ms`);
    model.disposeInput(trainIn);
    model.disposeInput(testIn);
    model.dispose();
    out();
  }
  if (loadAtStart > 0.7) out(`note: the machine was busy when the bench started (1-minute load average ${loadAtStart.toFixed(2)}): the wall-clock figures are inflated; rerun on an idle machine.`);
  out(`bench took ${((performance.now() - t0) / 1000).toFixed(0)} s; load average at the end ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
