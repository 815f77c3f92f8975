import { html } from 'hono/html';
import type { MetricSeries } from '../figures.ts';
import { formatMetric } from '../format.ts';
import type { Html } from './layout.ts';

/**
 * The main eval metrics across merges as an inline SVG line chart (server-rendered: no script, no
 * library), with the same figures in a table for screen readers and for anyone who wants numbers.
 * Each line has its own colour and marker shape, so it reads without colour too.
 */

const W = 640;
const H = 280;
const PAD = { left: 44, right: 12, top: 12, bottom: 36 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];
const MARKERS = ['circle', 'square', 'diamond', 'triangle', 'circle-open', 'square-open'] as const;

function marker(kind: (typeof MARKERS)[number], x: number, y: number, colour: string): Html {
  const r = 4;
  switch (kind) {
    case 'circle':
      return html`<circle cx="${x}" cy="${y}" r="${r}" fill="${colour}"/>`;
    case 'circle-open':
      return html`<circle cx="${x}" cy="${y}" r="${r}" fill="none" stroke="${colour}" stroke-width="2"/>`;
    case 'square':
      return html`<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${2 * r}" fill="${colour}"/>`;
    case 'square-open':
      return html`<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${2 * r}" fill="none" stroke="${colour}" stroke-width="2"/>`;
    case 'diamond':
      return html`<path d="M${x} ${y - r - 1}L${x + r + 1} ${y}L${x} ${y + r + 1}L${x - r - 1} ${y}Z" fill="${colour}"/>`;
    case 'triangle':
      return html`<path d="M${x} ${y - r - 1}L${x + r + 1} ${y + r}L${x - r - 1} ${y + r}Z" fill="${colour}"/>`;
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

export function metricsChart(series: MetricSeries[]): Html {
  if (series.length === 0) {
    return html`<p class="empty">No merge with an evals gate yet: the chart starts with the first one.</p>`;
  }
  const labels = series.reduce<string[]>(
    (longest, s) => (s.points.length > longest.length ? s.points.map((p) => p.label) : longest),
    [],
  );
  const values = series.flatMap((s) => s.points.map((p) => p.value));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  // Metrics live in [0, 1]: show at least a 0.1 band so flat lines do not fill the chart with noise.
  if (hi - lo < 0.1) {
    const mid = (hi + lo) / 2;
    lo = Math.max(0, mid - 0.05);
    hi = Math.min(1, lo + 0.1);
    lo = Math.max(0, hi - 0.1);
  }
  const n = Math.max(labels.length, 2);
  const x = (i: number) => round(PAD.left + (i * (W - PAD.left - PAD.right)) / (n - 1));
  const y = (v: number) => round(PAD.top + ((hi - v) * (H - PAD.top - PAD.bottom)) / (hi - lo || 1));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  const description = series
    .map((s) => `${s.metric}: ${s.points.map((p) => `${p.label} ${formatMetric(p.value)}`).join(', ')}`)
    .join('; ');
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">
<title id="chart-title">Main eval metrics after each merge</title>
<desc id="chart-desc">${description}</desc>
${ticks.map((t) => html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t)}" y2="${y(t)}" class="grid"/><text x="${PAD.left - 6}" y="${y(t) + 4}" text-anchor="end" class="axis">${t.toFixed(2)}</text>`)}
${labels.map((label, i) => html`<text x="${x(i)}" y="${H - PAD.bottom + 18}" text-anchor="middle" class="axis">${label}</text>`)}
${series.map((s, k) => {
  const colour = COLOURS[k % COLOURS.length]!;
  const offset = labels.length - s.points.length;
  const pts = s.points.map((p, i) => ({ x: x(i + offset), y: y(p.value) }));
  return html`<g class="series" data-metric="${s.metric}"><polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.map((p) => `${p.x},${p.y}`).join(' ')}"/>${pts.map((p) => marker(MARKERS[k % MARKERS.length]!, p.x, p.y, colour))}</g>`;
})}
</svg>
<figcaption><ul class="legend">${series.map(
    (s, k) =>
      html`<li><svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">${marker(MARKERS[k % MARKERS.length]!, 7, 7, COLOURS[k % COLOURS.length]!)}</svg> ${s.metric}</li>`,
  )}</ul></figcaption>
</figure>
<details><summary>The chart's figures</summary><div class="scroll"><table class="metrics">
<thead><tr><th scope="col">Metric</th>${labels.map((l) => html`<th scope="col">${l}</th>`)}</tr></thead>
<tbody>${series.map((s) => {
    const offset = labels.length - s.points.length;
    return html`<tr><th scope="row">${s.metric}</th>${labels.map((_, i) => html`<td class="num">${i < offset ? '—' : formatMetric(s.points[i - offset]?.value ?? null)}</td>`)}</tr>`;
  })}</tbody></table></div></details>`;
}
