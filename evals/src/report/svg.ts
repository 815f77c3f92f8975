/** Tiny inline-SVG chart builders: no scripts, no external resources. */

export const esc = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

const n = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : 0);

export const PALETTE = [
  '#2563eb',
  '#f59e0b',
  '#10b981',
  '#ef4444',
  '#8b5cf6',
  '#06b6d4',
  '#84cc16',
  '#ec4899',
  '#64748b',
  '#f97316',
];

export interface BarItem {
  label: string;
  value: number;
  baseline?: number | undefined;
  lo?: number | undefined;
  hi?: number | undefined;
  failed?: boolean | undefined;
}

/** Horizontal bars on a 0–1 scale: candidate bar, baseline tick, interval whisker. */
export function horizontalBars(items: BarItem[], name: string): string {
  const labelW = 190;
  const barW = 420;
  const rowH = 22;
  const w = labelW + barW + 70;
  const h = items.length * rowH + 30;
  const x = (v: number) => labelW + Math.max(0, Math.min(1, v)) * barW;
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${n(x(t))}" y1="4" x2="${n(x(t))}" y2="${h - 22}" stroke="#e5e7eb"/>`);
    parts.push(
      `<text x="${n(x(t))}" y="${h - 8}" font-size="10" text-anchor="middle" fill="#6b7280">${t}</text>`,
    );
  }
  items.forEach((it, i) => {
    const y = 6 + i * rowH;
    const color = it.failed ? '#dc2626' : '#2563eb';
    parts.push(
      `<text x="${labelW - 8}" y="${y + 12}" font-size="11" text-anchor="end" fill="#111827">${esc(it.label)}</text>`,
    );
    parts.push(
      `<rect class="bar" x="${labelW}" y="${y}" width="${n(x(it.value) - labelW)}" height="14" fill="${color}" rx="2"><title>${esc(it.label)}: ${it.value.toFixed(3)}</title></rect>`,
    );
    if (it.baseline !== undefined) {
      parts.push(
        `<line class="baseline" x1="${n(x(it.baseline))}" y1="${y - 2}" x2="${n(x(it.baseline))}" y2="${y + 16}" stroke="#111827" stroke-width="2"><title>baseline ${it.baseline.toFixed(3)}</title></line>`,
      );
    }
    if (it.lo !== undefined && it.hi !== undefined) {
      parts.push(
        `<line x1="${n(x(it.lo))}" y1="${y + 7}" x2="${n(x(it.hi))}" y2="${y + 7}" stroke="#93c5fd" stroke-width="1.5"/>`,
      );
    }
    parts.push(
      `<text x="${n(x(it.value) + 6)}" y="${y + 12}" font-size="10" fill="#374151">${it.value.toFixed(3)}</text>`,
    );
  });
  return `<svg class="chart" data-chart="${esc(name)}" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(name)}">${parts.join('')}</svg>`;
}

/** Grouped vertical bars (groups × series) on a 0–1 scale, with a legend. */
export function groupedBars(
  groups: string[],
  series: string[],
  value: (g: string, s: string) => number | undefined,
  name: string,
): string {
  const barW = 12;
  const gap = 18;
  const groupW = series.length * barW + gap;
  const left = 34;
  const plotH = 160;
  const top = 10;
  const w = Math.max(left + Math.min(3, series.length) * 170, left + groups.length * groupW + 10);
  const legendRows = Math.ceil(series.length / 3);
  const h = top + plotH + 34 + legendRows * 16;
  const y = (v: number) => top + plotH - Math.max(0, Math.min(1, v)) * plotH;
  const parts: string[] = [];
  for (const t of [0, 0.5, 1]) {
    parts.push(`<line x1="${left}" y1="${n(y(t))}" x2="${w - 4}" y2="${n(y(t))}" stroke="#e5e7eb"/>`);
    parts.push(
      `<text x="${left - 4}" y="${n(y(t)) + 3}" font-size="10" text-anchor="end" fill="#6b7280">${t}</text>`,
    );
  }
  groups.forEach((g, gi) => {
    const gx = left + gi * groupW + gap / 2;
    series.forEach((s, si) => {
      const v = value(g, s);
      if (v === undefined) return;
      parts.push(
        `<rect class="bar" x="${gx + si * barW}" y="${n(y(v))}" width="${barW - 2}" height="${n(top + plotH - y(v))}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(g)} · ${esc(s)}: ${v.toFixed(3)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${n(gx + (series.length * barW) / 2)}" y="${top + plotH + 14}" font-size="11" text-anchor="middle" fill="#111827">${esc(g)}</text>`,
    );
  });
  series.forEach((s, si) => {
    const lx = left + (si % 3) * 170;
    const ly = top + plotH + 30 + Math.floor(si / 3) * 16;
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/>`,
    );
    parts.push(`<text x="${lx + 14}" y="${ly}" font-size="10" fill="#374151">${esc(s)}</text>`);
  });
  return `<svg class="chart" data-chart="${esc(name)}" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(name)}">${parts.join('')}</svg>`;
}

/** A histogram from bin edges and counts. */
export function histogram(edges: number[], counts: number[], name: string, color = '#2563eb'): string {
  const left = 40;
  const plotW = 520;
  const plotH = 150;
  const top = 10;
  const w = left + plotW + 20;
  const h = top + plotH + 40;
  const max = Math.max(1, ...counts);
  const bw = counts.length ? plotW / counts.length : plotW;
  const parts: string[] = [];
  parts.push(
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#9ca3af"/>`,
  );
  parts.push(
    `<text x="${left - 4}" y="${top + 8}" font-size="10" text-anchor="end" fill="#6b7280">${max}</text>`,
  );
  counts.forEach((c, i) => {
    const bh = (c / max) * plotH;
    const lo = edges[i] ?? 0;
    const hi = edges[i + 1] ?? lo;
    parts.push(
      `<rect class="bar" x="${n(left + i * bw + 1)}" y="${n(top + plotH - bh)}" width="${n(bw - 2)}" height="${n(bh)}" fill="${color}"><title>${lo.toFixed(1)}–${hi.toFixed(1)} ms: ${c} case(s)</title></rect>`,
    );
    if (i % 2 === 0 || counts.length <= 8) {
      parts.push(
        `<text x="${n(left + i * bw)}" y="${top + plotH + 14}" font-size="9" text-anchor="middle" fill="#6b7280">${lo < 10 ? lo.toFixed(1) : Math.round(lo)}</text>`,
      );
    }
  });
  parts.push(
    `<text x="${left + plotW / 2}" y="${h - 4}" font-size="10" text-anchor="middle" fill="#374151">latency per case (ms, log-spaced bins)</text>`,
  );
  return `<svg class="chart" data-chart="${esc(name)}" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(name)}">${parts.join('')}</svg>`;
}
