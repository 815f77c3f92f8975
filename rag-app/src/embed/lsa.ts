import { seededRandom } from '@dark-factory/kit';
import { gaussian, orthonormalizeColumns, symmetricEigen } from './linalg.ts';

/** A sparse document: term indexes with their weights. */
export interface SparseDoc {
  idx: Int32Array;
  val: Float64Array;
}

export interface LsaModel {
  /** term → row of `projection` */
  vocab: Map<string, number>;
  idf: Float64Array;
  dim: number;
  /** vocab.size × dim, row-major: the right singular vectors V_k. */
  projection: Float32Array;
}

export interface LsaFitOptions {
  dim: number;
  minDf: number;
  maxVocab: number;
  powerIterations: number;
  seed: number;
}

export const DEFAULT_LSA: LsaFitOptions = {
  dim: 256,
  minDf: 2,
  maxVocab: 40_000,
  powerIterations: 2,
  seed: 42,
};

/** tf-idf with sublinear tf, L2-normalised, over the model's vocabulary. */
export function weigh(
  termFreqs: Iterable<[string, number]>,
  vocab: Map<string, number>,
  idf: Float64Array,
): SparseDoc {
  const idx: number[] = [];
  const val: number[] = [];
  let norm = 0;
  for (const [term, tf] of termFreqs) {
    const i = vocab.get(term);
    if (i === undefined) continue;
    const w = (1 + Math.log(tf)) * idf[i]!;
    idx.push(i);
    val.push(w);
    norm += w * w;
  }
  norm = Math.sqrt(norm) || 1;
  return { idx: Int32Array.from(idx), val: Float64Array.from(val, (w) => w / norm) };
}

/**
 * Latent semantic analysis: a truncated SVD of the corpus's tf-idf matrix by randomized range
 * finding (Halko, Martinsson & Tropp 2011). Terms that co-occur across the channel's chunks land
 * near each other, which lets a query match a passage that words the same idea differently.
 */
export function fitLsa(docs: readonly Map<string, number>[], options: LsaFitOptions = DEFAULT_LSA): LsaModel {
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const n = docs.length;
  const kept = [...df.entries()]
    .filter(([, f]) => f >= options.minDf && f <= n * 0.5)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.maxVocab);
  const vocab = new Map(kept.map(([t], i) => [t, i]));
  const idf = Float64Array.from(kept, ([, f]) => Math.log((n + 1) / (f + 1)) + 1);
  const v = vocab.size;
  const dim = Math.max(1, Math.min(options.dim, v - 1, n - 1));
  const l = Math.min(dim + 12, v, n);
  const rows = docs.map((d) => weigh(d, vocab, idf));

  // Seeded so a refit on the same corpus gives the same space.
  const rand = seededRandom(options.seed);
  // Y = A Ω, with Ω a v×l Gaussian matrix.
  const omega = new Float64Array(v * l);
  for (let i = 0; i < omega.length; i++) omega[i] = gaussian(rand);
  let y = multiplyA(rows, omega, n, l);
  orthonormalizeColumns(y, n, l);
  for (let it = 0; it < options.powerIterations; it++) {
    const z = multiplyAt(rows, y, v, l);
    orthonormalizeColumns(z, v, l);
    y = multiplyA(rows, z, n, l);
    orthonormalizeColumns(y, n, l);
  }
  // B = Qᵀ A is l×v; stored transposed (v×l) as Aᵀ Q.
  const bt = multiplyAt(rows, y, v, l);
  // B Bᵀ = (Aᵀ Q)ᵀ (Aᵀ Q), an l×l symmetric matrix.
  const bbt = new Float64Array(l * l);
  for (let r = 0; r < v; r++) {
    const off = r * l;
    for (let i = 0; i < l; i++) {
      const bi = bt[off + i]!;
      if (bi === 0) continue;
      for (let j = i; j < l; j++) bbt[i * l + j]! += bi * bt[off + j]!;
    }
  }
  for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) bbt[i * l + j] = bbt[j * l + i]!;
  const { values, vectors } = symmetricEigen(bbt, l);
  // V_k = Bᵀ W_k Σ_k⁻¹
  const projection = new Float32Array(v * dim);
  for (let r = 0; r < v; r++) {
    for (let k = 0; k < dim; k++) {
      const sigma = Math.sqrt(Math.max(values[k]!, 1e-12));
      let s = 0;
      for (let i = 0; i < l; i++) s += bt[r * l + i]! * vectors[i * l + k]!;
      projection[r * dim + k] = s / sigma;
    }
  }
  return { vocab, idf, dim, projection };
}

/** x·A for a sparse row set: returns n×cols (A is n×v sparse, m is v×cols dense). */
function multiplyA(rows: readonly SparseDoc[], m: Float64Array, n: number, cols: number): Float64Array {
  const out = new Float64Array(n * cols);
  rows.forEach((row, r) => {
    const o = r * cols;
    for (let p = 0; p < row.idx.length; p++) {
      const w = row.val[p]!;
      const mo = row.idx[p]! * cols;
      for (let c = 0; c < cols; c++) out[o + c]! += w * m[mo + c]!;
    }
  });
  return out;
}

/** Aᵀ·m: returns v×cols (m is n×cols dense). */
function multiplyAt(rows: readonly SparseDoc[], m: Float64Array, v: number, cols: number): Float64Array {
  const out = new Float64Array(v * cols);
  rows.forEach((row, r) => {
    const mo = r * cols;
    for (let p = 0; p < row.idx.length; p++) {
      const w = row.val[p]!;
      const o = row.idx[p]! * cols;
      for (let c = 0; c < cols; c++) out[o + c]! += w * m[mo + c]!;
    }
  });
  return out;
}

/** Projects a document or query into the latent space, L2-normalised. Null when no term is known. */
export function project(model: LsaModel, termFreqs: Iterable<[string, number]>): number[] | null {
  const doc = weigh(termFreqs, model.vocab, model.idf);
  if (doc.idx.length === 0) return null;
  const out = new Float64Array(model.dim);
  for (let p = 0; p < doc.idx.length; p++) {
    const w = doc.val[p]!;
    const o = doc.idx[p]! * model.dim;
    for (let k = 0; k < model.dim; k++) out[k]! += w * model.projection[o + k]!;
  }
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0) return null;
  return Array.from(out, (x) => x / norm);
}
