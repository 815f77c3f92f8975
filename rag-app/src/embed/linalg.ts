/** Small dense linear algebra on Float64Array, row-major. Enough for a randomized truncated SVD. */

export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Orthonormalises the columns of an n×l row-major matrix in place (modified Gram–Schmidt, twice). */
export function orthonormalizeColumns(m: Float64Array, n: number, l: number): void {
  // Work column by column in contiguous arrays: the row-major stride would thrash the cache.
  const cols = Array.from({ length: l }, (_, j) => {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = m[i * l + j]!;
    return c;
  });
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < l; j++) {
      const cj = cols[j]!;
      for (let p = 0; p < j; p++) {
        const cp = cols[p]!;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += cj[i]! * cp[i]!;
        for (let i = 0; i < n; i++) cj[i]! -= dot * cp[i]!;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += cj[i]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < n; i++) cj[i]! /= norm;
    }
  }
  for (let j = 0; j < l; j++) {
    const cj = cols[j]!;
    for (let i = 0; i < n; i++) m[i * l + j] = cj[i]!;
  }
}

/**
 * Eigen-decomposition of a symmetric l×l matrix by cyclic Jacobi rotations.
 * Returns eigenvalues (descending) and eigenvectors as columns of an l×l matrix.
 */
export function symmetricEigen(
  input: Float64Array,
  l: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += a[p * l + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = a[p * l + q]!;
        if (Math.abs(apq) < 1e-30) continue;
        const theta = (a[q * l + q]! - a[p * l + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < l; k++) {
          const akp = a[k * l + p]!;
          const akq = a[k * l + q]!;
          a[k * l + p] = c * akp - s * akq;
          a[k * l + q] = s * akp + c * akq;
        }
        for (let k = 0; k < l; k++) {
          const apk = a[p * l + k]!;
          const aqk = a[q * l + k]!;
          a[p * l + k] = c * apk - s * aqk;
          a[q * l + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p]!;
          const vkq = v[k * l + q]!;
          v[k * l + p] = c * vkp - s * vkq;
          v[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(l).keys()].sort((i, j) => a[j * l + j]! - a[i * l + i]!);
  const values = new Float64Array(l);
  const vectors = new Float64Array(l * l);
  order.forEach((src, dst) => {
    values[dst] = a[src * l + src]!;
    for (let k = 0; k < l; k++) vectors[k * l + dst] = v[k * l + src]!;
  });
  return { values, vectors };
}
