import { isRateMetric } from '../metrics/aggregate.ts';
import { formatDelta, formatValue, isSealed, KIND_COLUMNS, type ReportInput, reportRows } from './model.ts';
import { esc, groupedBars, histogram, horizontalBars } from './svg.ts';

const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#111827;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px;display:block;overflow-x:auto}td,th{border:1px solid #e5e7eb;padding:4px 8px;text-align:right}
th{background:#f9fafb}td:first-child,th:first-child{text-align:left}.pass{color:#047857}.fail{color:#b91c1c;font-weight:600}
.sealed{background:#fef3c7;border:1px solid #f59e0b;padding:8px 12px;border-radius:6px}code{font-size:12px}
.verdict{font-size:18px;font-weight:600}.muted{color:#6b7280}`;

/** A self-contained HTML report (inline CSS and SVG; opens from disk with no server). */
export function renderHtml(input: ReportInput): string {
  const { candidate, baseline, gate } = input;
  const sealed = isSealed(input);
  const rows = reportRows(input);
  const body: string[] = [];
  body.push('<h1>Evals report</h1>');
  if (gate) {
    body.push(
      `<p class="verdict ${gate.pass ? 'pass' : 'fail'}">Gate ${gate.pass ? 'passed' : 'failed'}</p>`,
    );
    if (!gate.pass) body.push(`<ul>${gate.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
  }
  body.push(
    `<p>${candidate.cases} cases from ${candidate.dataset.map((d) => `<code>${esc(d)}</code>`).join(', ')}${candidate.durationMs !== undefined ? ` in ${(candidate.durationMs / 1000).toFixed(1)} s` : ''}${baseline ? ` — compared with a baseline of ${baseline.cases} cases` : ''}.</p>`,
  );
  if (sealed)
    body.push(
      '<p class="sealed">Holdout (sealed): aggregate figures only; no cases or queries are shown.</p>',
    );

  const rates = rows.filter((r) => r.group === 'rate' && r.candidate !== undefined);
  body.push('<h2>Metrics</h2>');
  body.push(
    horizontalBars(
      rates.map((r) => ({
        label: r.metric,
        value: r.candidate!,
        baseline: r.baseline,
        lo: r.ci?.lo,
        hi: r.ci?.hi,
        failed: r.status === 'fail',
      })),
      'metrics',
    ),
  );
  body.push(
    `<p class="muted">Bars: candidate (red when the gate failed it); black tick: baseline; light line: 95 % interval.</p>`,
  );
  const head = baseline
    ? '<tr><th>Metric</th><th>Baseline</th><th>Candidate</th><th>Δ</th><th>95 % CI of Δ</th><th>Gate</th></tr>'
    : '<tr><th>Metric</th><th>Value</th><th>95 % CI</th></tr>';
  const trs = rows.map((r) => {
    if (!baseline) {
      const ci = r.ci ? `[${r.ci.lo.toFixed(3)}, ${r.ci.hi.toFixed(3)}]` : '';
      return `<tr><td><code>${esc(r.metric)}</code></td><td>${esc(formatValue(r.metric, r.candidate))}</td><td>${ci}</td></tr>`;
    }
    const ci =
      r.lo !== undefined && r.hi !== undefined
        ? `[${formatDelta(r.metric, r.lo)}, ${formatDelta(r.metric, r.hi)}]`
        : '';
    const st = r.status ? `<span class="${r.status}">${r.status}</span>` : '';
    return `<tr><td><code>${esc(r.metric)}</code></td><td>${esc(formatValue(r.metric, r.baseline))}</td><td>${esc(formatValue(r.metric, r.candidate))}</td><td>${esc(formatDelta(r.metric, r.delta))}</td><td>${esc(ci)}</td><td>${st}</td></tr>`;
  });
  body.push(`<table>${head}${trs.join('')}</table>`);

  const kinds = Object.keys(candidate.byKind);
  const series = KIND_COLUMNS.filter(
    (m) => isRateMetric(m) && kinds.some((k) => candidate.byKind[k]?.[m] !== undefined),
  );
  body.push('<h2>By kind</h2>');
  body.push(groupedBars(kinds, series, (k, m) => candidate.byKind[k]?.[m], 'by-kind'));
  const kindHead = `<tr><th>Kind</th><th>Cases</th>${KIND_COLUMNS.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>`;
  const kindRows = kinds.map(
    (k) =>
      `<tr><td>${esc(k)}</td><td>${candidate.casesByKind[k] ?? ''}</td>${KIND_COLUMNS.map((m) => `<td>${esc(formatValue(m, candidate.byKind[k]?.[m]))}</td>`).join('')}</tr>`,
  );
  body.push(`<table>${kindHead}${kindRows.join('')}</table>`);

  body.push('<h2>Latency</h2>');
  const hist = candidate.latencyHistogram;
  body.push(hist ? histogram(hist.edgesMs, hist.counts, 'latency') : '<p class="muted">no latency data</p>');
  if (baseline?.latencyHistogram?.counts.length) {
    body.push('<p class="muted">Baseline:</p>');
    body.push(
      histogram(
        baseline.latencyHistogram.edgesMs,
        baseline.latencyHistogram.counts,
        'latency-baseline',
        '#9ca3af',
      ),
    );
  }

  if (gate && !sealed) {
    body.push(`<h2>Cases that went from pass to fail (${gate.regressions.length})</h2>`);
    if (gate.regressions.length) {
      body.push(
        `<table><tr><th>Case</th><th>Kind</th><th>Query</th></tr>${gate.regressions
          .slice(0, 50)
          .map(
            (r) =>
              `<tr><td><code>${esc(r.id)}</code></td><td>${esc(r.kind)}</td><td style="text-align:left">${esc(r.query)}</td></tr>`,
          )
          .join('')}</table>`,
      );
    } else body.push('<p class="muted">none</p>');
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Evals report</title><style>${CSS}</style></head>
<body>${body.join('\n')}</body></html>
`;
}
