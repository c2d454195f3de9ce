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
 * Backends: "native" is the fused C++ fast path (native/mlp.cc; its "probes" run evaluates the test split on a
 * libuv worker thread beside the next step), the others are the tfjs path on that tfjs backend. The native
 * runs are longer and their CPU time is taken after the first quarter of the epochs (V8 still compiles the
 * probes' JS in the first ones: a start-up cost, not a per-epoch one).
 *
 * The anchor: when a Python with torch is found (/usr/bin/python3, then python3), bench/pytorch_anchor.py
 * trains the same workload in PyTorch (one thread, dense one-hot first layer, the same per-epoch probes)
 * between the native rounds, and the table prints both and the ratios per CPU second (CPU time against CPU
 * time, fair under load) and per wall second. Beside it, where the native path's epoch goes: the addon's
 * own phase timers (gather, GEMMs, loss, scatter, optimizer, norms, test evaluation) over a whole "probes" run,
 * and the rest of the process's CPU time (the JS side: records, detectors, the event loop; V8).
 *
 * Options: --quick (fewer epochs), --backends native,wasm,cpu, --widths 128,256.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadBackend, type TF } from '../extension/engine/backend';
import type { BackendChoice } from '../extension/shared/protocol';
import type { NativeAddon } from '../extension/engine/fast/native';
import { FastMlp } from '../extension/engine/fast/fastMlp';
import { train, activationProbe, activationStats } from '../extension/engine/train';
import { benford } from '../extension/engine/probes/benford';
import { BASE_DEFAULTS, TASK_DEFAULTS, deepMerge } from '../extension/engine/config';
import type { TrainingConfig } from '../extension/shared/configTypes';
import { makeDataset } from '../extension/engine/tasks/datasets';
import { Mlp } from '../extension/engine/model/mlp';
import { matrixSpectrum } from '../extension/engine/probes/spectra';

const TARGET_OVERHEAD = 15; // % of plain training
const TARGET_CPU_RATIO = 1.5; // PyTorch one-thread time / our CPU time per epoch, at least
const TARGET_WALL_RATIO = 2; // PyTorch one-thread time / our wall-clock time per epoch, at least

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const widths = (arg('--widths') ?? '128,256').split(',').map(Number);
const backends = (arg('--backends') ?? 'native,tensorflow,wasm').split(',') as BackendChoice[];

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

/**
 * Times epochs first..epochs−1 of a run (the first epochs warm up; the last epoch always measures): median
 * wall-clock time of an epoch and mean process CPU time per epoch.
 */
async function timeRun(tf: TF, native: NativeAddon | null, width: number, epochs: number, probesEvery: number, evaluation: 'auto' | 'inline' = 'auto', first = 3): Promise<EpochTiming> {
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
  }, { evaluation, native });
  // shouldStop() runs at the start of epochs 1..epochs: interval k → k+1 is epoch k.
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
  out(`cpu = process CPU time per epoch of the "probes" and "plain" runs, every thread counted (the cost in core time).`);
  out(`Targets: probe overhead ≤ ${TARGET_OVERHEAD} %; native CPU time per epoch ≤ PyTorch one-thread / ${TARGET_CPU_RATIO}, native wall-clock ≤ PyTorch / ${TARGET_WALL_RATIO}.`);
  const python = findTorch();
  out(python ? `anchor: PyTorch via ${python.exe} (torch ${python.version}, one thread), timed between the native rounds` : `anchor missing: no python3 with torch (tried ${PYTHONS.join(', ')}); our figures alone`);
  out();
  const anchor = new Map<number, AnchorTiming>();
  const nativeProbes = new Map<number, EpochTiming>();
  for (const b of backends) {
    let tf: TF;
    let detail: string;
    let native: NativeAddon | null;
    try {
      ({ tf, detail, native } = await loadBackend(b));
    } catch (err) {
      out(`${b}: not available (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
      out();
      continue;
    }
    if (b !== 'native') native = null;
    out(`${b}: ${detail}`);
    out(`  width   probes ms/ep  epochs/s   plain ms/ep  epochs/s   overhead   inline ms/ep  overhead   cpu probes  cpu plain   targets`);
    for (const width of widths) {
      // cpu is ~10× slower: fewer epochs keep the whole bench within ~3 minutes.
      const epochs = b === 'cpu' ? (quick ? 6 : 8) : b === 'native' ? (quick ? 40 : 80) : quick ? 12 : 20;
      const first = b === 'native' ? epochs / 4 : 3;
      const rounds = b === 'cpu' ? 1 : quick ? 2 : 4;
      const best = (a: EpochTiming | null, x: EpochTiming) => (a === null || x.wallMedian < a.wallMedian ? x : a);
      let probes: EpochTiming | null = null;
      let inline: EpochTiming | null = null;
      let plain: EpochTiming | null = null;
      for (let r = 0; r < rounds; r++) {
        probes = best(probes, await timeRun(tf, native, width, epochs, 1, 'auto', first));
        plain = best(plain, await timeRun(tf, native, width, epochs, 1_000_000, 'auto', first));
        inline = best(inline, await timeRun(tf, native, width, epochs, 1, 'inline', first));
        if (b === 'native' && python) {
          const t = runAnchor(python.exe, width, quick ? 12 : 20);
          const prev = anchor.get(width);
          if (t && (!prev || t.wall < prev.wall)) anchor.set(width, t);
        }
      }
      if (!probes || !plain || !inline) continue;
      if (b === 'native') nativeProbes.set(width, probes);
      const over = (x: EpochTiming) => (100 * (x.wallMedian - plain!.wallMedian)) / plain!.wallMedian;
      const overhead = over(probes);
      const targets: string[] = [`overhead ≤${TARGET_OVERHEAD} % ${overhead <= TARGET_OVERHEAD ? 'met' : 'missed'}`];
      out(
        `  ${String(width).padStart(5)}  ${fmt(probes.wallMedian)}   ${fmt(1000 / probes.wallMedian, 2)}   ${fmt(plain.wallMedian)}   ${fmt(1000 / plain.wallMedian, 2)}   ${fmt(overhead)} %   ${fmt(inline.wallMedian)}   ${fmt(over(inline))} %   ${fmt(probes.cpuMean)}     ${fmt(plain.cpuMean)}   ${targets.join(', ')}`,
      );
    }
    // The every-k probes, on width 256 (after 5 epochs of training so activations are not at their init).
    const cfg = workload(256, 5, 1_000_000);
    const data = makeDataset(cfg.task, 0);
    const model = new Mlp(tf, cfg.model, data, 0);
    const fast = native ? new FastMlp(native, model, cfg, data, 'cross-entropy') : null;
    const trainIn = model.input(data.train, data);
    const testIn = model.input(data.test, data);
    const mats = model.params.flatMap((q, i) => (q.shape.length === 2 ? [{ q, i }] : []));
    const values = (i: number) => (fast ? fast.weights[i] : (model.params[i].variable.dataSync() as Float32Array));
    const reps = b === 'cpu' ? 2 : 3;
    const dead = timeIt(() => (fast ? activationStats(model, fast.hidden(0), fast.hidden(1), data) : activationProbe(tf, model, trainIn, testIn, data)), reps);
    const spec = timeIt(() => mats.forEach(({ q, i }) => matrixSpectrum(q.name, values(i), q.shape[0], q.shape[1], cfg.probes.histogramBins)), reps);
    const benf = timeIt(() => model.params.forEach((q, i) => benford(q.name, values(i))), reps);
    out(`  width 256, every-k probes: dead-neuron/sparsity/entropy pass over all 9409 rows ${fmt(dead)} ms; spectrum (${mats.map(({ q }) => q.shape.join('×')).join(', ')}) ${fmt(spec)} ms; Benford ${fmt(benf)} ms`);
    if (fast) {
      // Where a native "probes" epoch goes (CPU ms per epoch over a whole run): the addon's phase timers, the
      // evaluation thread's included; the rest of the process's CPU time is the JS side and V8.
      for (const width of widths) {
        const epochs = quick ? 40 : 80;
        const r = await train(tf, workload(width, epochs, 1), { onRecord: () => {}, onCheckpoint: () => {}, shouldStop: () => false }, { native, profile: true });
        const prof = r.profile!;
        const total = prof.processCpuMs / prof.epochs;
        const phases = Object.entries(prof.phases).map(([k, v]) => [k, v / prof.epochs] as const);
        const inAddon = phases.reduce((acc, [, v]) => acc + v, 0);
        out(`  where a native "probes" epoch goes, width ${width} (CPU ms per epoch, every thread, epochs ${epochs - prof.epochs + 1}–${epochs}; evaluation on the ${r.evaluation === 'thread' ? 'worker thread' : 'training thread'}):`);
        out(`    ${phases.map(([k, v]) => `${k} ${v.toFixed(2)}`).join('; ')}; JS side and V8 (records, detectors, event loop, GC) ${(total - inAddon).toFixed(2)}; total ${total.toFixed(2)}`);
      }
    }
    fast?.dispose();
    model.disposeInput(trainIn);
    model.disposeInput(testIn);
    model.dispose();
    out();
  }
  if (python) {
    out(`side by side, per epoch with every per-epoch probe (ours: the native "probes" run; PyTorch: one thread, OpenBLAS);`);
    out(`speed = PyTorch's time / ours: per CPU second its CPU time against ours (all our threads), per wall second its wall time against ours:`);
    out(`  width   ours cpu ms  ours wall ms   torch cpu ms  torch wall ms   speed per CPU second  per wall second   targets`);
    for (const width of widths) {
      const o = nativeProbes.get(width);
      const t = anchor.get(width);
      if (!o || !t) {
        out(`  ${String(width).padStart(5)}  ${o ? '' : 'native path not measured'}${t ? '' : ' PyTorch run failed'}`);
        continue;
      }
      // CPU against CPU (under load a one-thread wall time counts the waits for a core too), wall against wall.
      const perCpu = t.cpu / o.cpuMean;
      const perWall = t.wall / o.wallMedian;
      out(
        `  ${String(width).padStart(5)}  ${fmt(o.cpuMean)}      ${fmt(o.wallMedian)}        ${fmt(t.cpu)}       ${fmt(t.wall)}         ${fmt(perCpu, 2)}×            ${fmt(perWall, 2)}×       cpu ≥${TARGET_CPU_RATIO}× ${perCpu >= TARGET_CPU_RATIO ? 'met' : 'missed'}, wall ≥${TARGET_WALL_RATIO}× ${perWall >= TARGET_WALL_RATIO ? 'met' : 'missed'}`,
      );
    }
    out();
  }
  if (loadAtStart > 0.7) out(`note: the machine was busy when the bench started (1-minute load average ${loadAtStart.toFixed(2)}): the wall-clock figures are inflated; rerun on an idle machine.`);
  out(`bench took ${((performance.now() - t0) / 1000).toFixed(0)} s; load average at the end ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

interface AnchorTiming {
  wall: number;
  cpu: number;
}

const PYTHONS = ['/usr/bin/python3', 'python3'];

/** The first Python that imports torch (Debian's python3-torch lives in /usr/bin/python3's path only). */
function findTorch(): { exe: string; version: string } | null {
  for (const exe of PYTHONS) {
    const r = spawnSync(exe, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { exe, version: r.stdout.trim() };
  }
  return null;
}

/** PyTorch's epoch on workload W at this width (bench/pytorch_anchor.py), or null when the run failed. */
function runAnchor(exe: string, width: number, epochs: number): AnchorTiming | null {
  const script = path.join(__dirname, 'pytorch_anchor.py');
  // One thread: torch.set_num_threads(1) covers its own pool, not OpenBLAS's, which otherwise runs a second thread.
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(exe, [script, '--widths', String(width), '--epochs', String(epochs)], { encoding: 'utf8', timeout: 300_000, env });
  if (r.status !== 0) {
    out(`  PyTorch anchor failed at width ${width}: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    return null;
  }
  const line = JSON.parse(r.stdout.trim().split('\n').pop()!) as { wall_ms: number; cpu_ms: number };
  return { wall: line.wall_ms, cpu: line.cpu_ms };
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
