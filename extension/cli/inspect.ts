/**
 * `training-dynamics inspect FILE [--json] [--spectrum] [--tensor NAME]`: statistics and a value histogram (and
 * with --spectrum, for 2-D tensors up to the cap, the eigenvalues of WᵀW/max(m,n) with the Marchenko–Pastur fit
 * and power-law α) of every tensor of a safetensors file — ours or any other tool's, any size: each tensor is
 * streamed in chunks by engine/safetensors/stream, the code the checkpoint editor's worker runs, and each
 * tensor's result is printed as soon as it is known. Exit 0 done, 2 bad input (unreadable or invalid file,
 * unknown tensor, bad arguments) with a one-line message naming the problem.
 */
import { fileSource, readHeader, SafetensorsError, type TensorInfo } from '../engine/safetensors';
import { readAhead, tensorDetail, SPECTRUM_FORCE_MAX_DIM, WHOLE_MAX_ELEMENTS, type TensorInspection } from '../engine/safetensors/stream';
import type { StatsView } from '../shared/checkpointProtocol';

export interface InspectIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/**
 * A value histogram in `inspect --json`: `counts.length` equal-width bins over [lo, hi] (bin i spans
 * lo + i·(hi − lo)/bins to the next edge; the last bin includes hi). The checkpoint editor's histogram, without
 * its list of edges, which the range and the bin count give: 61 numbers a tensor made most of the output of a
 * file of many small tensors.
 */
export interface InspectedHistogram {
  lo: number;
  hi: number;
  counts: number[];
}

/**
 * One tensor in `inspect --json`: the checkpoint editor's statistics (StatsView: over finite values, null where
 * none is defined) and histogram (its range and counts), with the tensor's name, dtype and shape.
 */
export interface InspectedTensor extends StatsView {
  name: string;
  dtype: string;
  shape: number[];
  histogram: InspectedHistogram | null;
  spectrum?: {
    eigenvalues: number[];
    mp: { sigma2: number; lambdaMinus: number; lambdaPlus: number; ksDistance: number; fractionAbove: number };
    alpha: number | null;
  };
  /** --spectrum on a 2-D tensor without one: why (over the cap, NaN/Inf values, out of float64 range). */
  spectrumNote?: string;
}

function inspected(info: TensorInfo, d: TensorInspection, withSpectrum: boolean): InspectedTensor {
  const h = d.histogram;
  const histogram = h ? { lo: h.edges[0], hi: h.edges[h.edges.length - 1], counts: h.counts } : null;
  const out: InspectedTensor = { name: info.name, dtype: info.dtype, shape: info.shape, ...d.stats, histogram };
  if (d.spectrum && d.eigenvalues) {
    const sp = d.spectrum;
    out.spectrum = {
      eigenvalues: d.eigenvalues,
      mp: { sigma2: sp.sigma2, lambdaMinus: sp.lambdaMinus, lambdaPlus: sp.lambdaPlus, ksDistance: sp.ksDistance, fractionAbove: sp.fractionAbove },
      alpha: sp.alpha,
    };
  } else if (withSpectrum && d.spectrumNote) out.spectrumNote = d.spectrumNote;
  return out;
}

/**
 * JSON.stringify(t), written out for the common case (no spectrum fields): the statistics are finite or null
 * and the histogram's numbers finite, so each prints as JSON prints it. For 10⁶ small tensors the generic
 * stringify was most of the time.
 */
export function tensorJson(t: InspectedTensor): string {
  if (t.spectrum !== undefined || t.spectrumNote !== undefined) return JSON.stringify(t);
  const h = t.histogram;
  const hist = h ? `{"lo":${h.lo},"hi":${h.hi},"counts":[${h.counts.join(',')}]}` : 'null';
  return `{"name":${JSON.stringify(t.name)},"dtype":${JSON.stringify(t.dtype)},"shape":[${t.shape.join(',')}],"numel":${t.numel},"mean":${t.mean},"std":${t.std},"min":${t.min},"max":${t.max},"l2":${t.l2},"zeroFraction":${t.zeroFraction},"nanCount":${t.nanCount},"infCount":${t.infCount},"histogram":${hist}}`;
}

class ArgError extends Error {}

function parseArgs(args: string[]): { file: string; json: boolean; spectrum: boolean; tensor: string | null } {
  let file: string | null = null;
  let json = false;
  let spectrum = false;
  let tensor: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '--spectrum') spectrum = true;
    else if (a === '--tensor') {
      tensor = args[++i] ?? null;
      if (tensor === null) throw new ArgError('--tensor needs a tensor name');
    } else if (a.startsWith('--')) throw new ArgError(`unknown option '${a}' (inspect takes --json, --spectrum, --tensor NAME)`);
    else if (file === null) file = a;
    else throw new ArgError(`unexpected argument '${a}'`);
  }
  if (!file) throw new ArgError('inspect needs a .safetensors file');
  return { file, json, spectrum, tensor };
}

/** Characters of JSON output collected before a write. */
const OUTPUT_BLOCK = 1 << 20;

const fmt = (x: number | null) => (x === null || Number.isNaN(x) ? '–' : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4));
const human = (bytes: number) => (bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(2)} GiB` : bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`);
const COLUMNS = ['name', 'dtype', 'shape', 'mean', 'std', 'min', 'max', 'l2', 'zeros', 'nan/inf'];
const row = (t: InspectedTensor) => [
  t.name, t.dtype, `[${t.shape.join(', ')}]`, fmt(t.mean), fmt(t.std), fmt(t.min), fmt(t.max), fmt(t.l2), `${(t.zeroFraction * 100).toFixed(1)}%`, `${t.nanCount}/${t.infCount}`,
];

export async function inspectCommand(args: string[], io: InspectIo): Promise<number> {
  let opts;
  try {
    opts = parseArgs(args);
  } catch (err) {
    io.stderr(`training-dynamics inspect: ${(err as Error).message}\n`);
    return 2;
  }
  let src;
  try {
    src = readAhead(await fileSource(opts.file));
  } catch (err) {
    io.stderr(`training-dynamics inspect: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const header = await readHeader(src);
    let infos = header.tensors;
    if (opts.tensor !== null) {
      infos = infos.filter((t) => t.name === opts.tensor);
      if (!infos.length) throw new SafetensorsError('NO_SUCH_TENSOR', `no tensor named '${opts.tensor}' (${header.tensors.length} tensors: ${header.tensors.slice(0, 8).map((t) => t.name).join(', ')}${header.tensors.length > 8 ? ', …' : ''})`);
    }
    const mode = opts.spectrum ? 'force' : 'off';
    const noProgress = () => undefined;
    if (opts.json) {
      // One JSON document, written as each tensor is done in blocks of ≈ 1 MB (nothing accumulates, however many
      // tensors; one write a tensor made the writes most of the time for 10⁶ small tensors).
      let pending = `{"metadata":${JSON.stringify(header.metadata)},"tensors":[`;
      for (let i = 0; i < infos.length; i++) {
        pending += (i ? ',' : '') + tensorJson(inspected(infos[i], await tensorDetail(src, infos[i], mode, noProgress), opts.spectrum));
        if (pending.length >= OUTPUT_BLOCK) {
          io.stdout(pending);
          pending = '';
        }
      }
      io.stdout(pending + ']}\n');
      return 0;
    }
    let params = 0;
    for (const t of header.tensors) params += t.numel;
    io.stdout(`${opts.file}: ${header.tensors.length} tensors, ${params.toLocaleString('en-US')} parameters, ${human(header.fileSize)}\n`);
    if (header.metadata) {
      for (const [k, v] of Object.entries(header.metadata)) io.stdout(`  ${k}: ${v.length > 100 ? v.slice(0, 97) + '…' : v}\n`);
    }
    // Column widths from the header's names, shapes and dtypes; numbers fit 10 characters.
    const widths = COLUMNS.map((c) => c.length);
    for (const t of infos) {
      widths[0] = Math.max(widths[0], t.name.length);
      widths[1] = Math.max(widths[1], t.dtype.length);
      widths[2] = Math.max(widths[2], t.shape.join(', ').length + 2);
    }
    for (let c = 3; c < widths.length; c++) widths[c] = Math.max(widths[c], 10);
    const line = (cells: string[]) => io.stdout(cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd() + '\n');
    line(COLUMNS);
    const spectra: InspectedTensor[] = [];
    for (const info of infos) {
      const t = inspected(info, await tensorDetail(src, info, mode, noProgress), opts.spectrum);
      line(row(t));
      if (t.spectrum || t.spectrumNote) spectra.push({ ...t, histogram: null });
    }
    if (opts.spectrum) io.stdout(`\nspectra of 2-D tensors up to the cap: smaller side ≤ ${SPECTRUM_FORCE_MAX_DIM}, ≤ ${WHOLE_MAX_ELEMENTS.toLocaleString('en-US')} entries\n`);
    for (const t of spectra) {
      if (!t.spectrum) {
        io.stdout(`\n${t.name}: no spectrum: ${t.spectrumNote}\n`);
        continue;
      }
      const ev = t.spectrum.eigenvalues;
      io.stdout(`\n${t.name}: ${ev.length} eigenvalues of WᵀW/max(m,n) in [${fmt(ev[0])}, ${fmt(ev[ev.length - 1])}]; ` +
        `MP σ²=${fmt(t.spectrum.mp.sigma2)} λ−=${fmt(t.spectrum.mp.lambdaMinus)} λ+=${fmt(t.spectrum.mp.lambdaPlus)} KS=${fmt(t.spectrum.mp.ksDistance)}, ` +
        `${(t.spectrum.mp.fractionAbove * 100).toFixed(1)}% above λ+, α=${t.spectrum.alpha === null ? 'n/a' : t.spectrum.alpha.toFixed(2)}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof SafetensorsError) {
      io.stderr(`training-dynamics inspect: ${opts.file}: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await src.close();
  }
}
