/**
 * `training-dynamics inspect FILE [--json] [--spectrum] [--tensor NAME]`: statistics (and with --spectrum, for
 * 2-D tensors, the eigenvalues of WᵀW/max(m,n) with the Marchenko–Pastur fit and power-law α) of every tensor
 * of a safetensors file — ours or any other tool's. Exit 0 done, 2 bad input (unreadable or invalid file,
 * unknown tensor, bad arguments) with a one-line message naming the problem.
 */
import { fileSource, readHeader, readTensor, SafetensorsError, type TensorInfo } from '../engine/safetensors';
import { tensorStats } from '../engine/probes/stats';
import { matrixSpectrum } from '../engine/probes/spectra';

export interface InspectIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface InspectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  numel: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  l2: number;
  zeroFraction: number;
  nanCount: number;
  infCount: number;
  spectrum?: {
    eigenvalues: number[];
    mp: { sigma2: number; lambdaMinus: number; lambdaPlus: number; ksDistance: number; fractionAbove: number };
    alpha: number | null;
  };
}

/** The inspection of one tensor (shared by the CLI and the checkpoint editor's worker). */
export function inspectTensor(info: TensorInfo, data: ArrayLike<number>, withSpectrum: boolean): InspectedTensor {
  const s = tensorStats(data);
  const out: InspectedTensor = {
    name: info.name,
    dtype: info.dtype,
    shape: info.shape,
    numel: info.numel,
    mean: s.mean,
    std: s.std,
    min: s.min,
    max: s.max,
    l2: s.l2,
    zeroFraction: s.zeroFraction,
    nanCount: s.nanCount,
    infCount: s.infCount,
  };
  if (withSpectrum && info.shape.length === 2 && info.numel > 0 && s.nanCount + s.infCount === 0) {
    const [m, n] = info.shape;
    const sp = matrixSpectrum(info.name, data, m, n, 40);
    out.spectrum = {
      eigenvalues: sp.eigenvalues,
      mp: { sigma2: sp.mp.sigma2Fit, lambdaMinus: sp.mp.lambdaMinus, lambdaPlus: sp.mp.lambdaPlus, ksDistance: sp.mp.ksDistance, fractionAbove: sp.mp.fractionAbove },
      alpha: sp.powerLaw?.alpha ?? null,
    };
  }
  return out;
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

const fmt = (x: number) => (Number.isNaN(x) ? 'NaN' : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4));
const human = (bytes: number) => (bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(2)} GiB` : bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`);

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
    src = await fileSource(opts.file);
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
    const tensors: InspectedTensor[] = [];
    for (const info of infos) tensors.push(inspectTensor(info, await readTensor(src, info), opts.spectrum));
    if (opts.json) {
      io.stdout(JSON.stringify({ metadata: header.metadata, tensors }) + '\n');
      return 0;
    }
    const params = header.tensors.reduce((s, t) => s + t.numel, 0);
    io.stdout(`${opts.file}: ${header.tensors.length} tensors, ${params.toLocaleString('en-US')} parameters, ${human(header.fileSize)}\n`);
    if (header.metadata) {
      for (const [k, v] of Object.entries(header.metadata)) io.stdout(`  ${k}: ${v.length > 100 ? v.slice(0, 97) + '…' : v}\n`);
    }
    const rows = [['name', 'dtype', 'shape', 'mean', 'std', 'min', 'max', 'l2', 'zeros', 'nan/inf'], ...tensors.map((t) => [
      t.name, t.dtype, `[${t.shape.join(', ')}]`, fmt(t.mean), fmt(t.std), fmt(t.min), fmt(t.max), fmt(t.l2), `${(t.zeroFraction * 100).toFixed(1)}%`, `${t.nanCount}/${t.infCount}`,
    ])];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) io.stdout(r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd() + '\n');
    for (const t of tensors) {
      if (!t.spectrum) continue;
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
