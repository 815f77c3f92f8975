import { formatDelta, formatValue, isSealed, KIND_COLUMNS, type ReportInput, reportRows } from './model.ts';
import { modeLine } from './text.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const clip = (s: string, n = 90) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const STATUS: Record<string, string> = { pass: '✅', fail: '❌', skip: '–' };

/** A PR-comment-ready Markdown report: metrics baseline vs candidate, per kind, worst regressions. */
export function renderMarkdown(input: ReportInput): string {
  const { candidate, baseline, gate } = input;
  const sealed = isSealed(input);
  const out: string[] = [];
  const verdict = gate ? (gate.pass ? '✅ gate passed' : '❌ gate failed') : 'run';
  out.push(`### Evals: ${verdict}`, '');
  const where = candidate.dataset.map((d) => `\`${d}\``).join(', ');
  out.push(
    `**Candidate:** ${input.labels?.candidate ? `\`${input.labels.candidate}\` — ` : ''}${candidate.cases} cases from ${where}${candidate.durationMs !== undefined ? ` in ${(candidate.durationMs / 1000).toFixed(1)} s` : ''}${candidate.errors ? `, ${candidate.errors} failed call(s)` : ''}.`,
  );
  if (baseline) {
    out.push(
      `**Baseline:** ${input.labels?.baseline ? `\`${input.labels.baseline}\` — ` : ''}${baseline.cases} cases.`,
    );
  }
  if (gate) {
    const how =
      gate.method === 'paired-bootstrap'
        ? `paired bootstrap over ${gate.pairedCases} cases (${gate.resamples} resamples)`
        : 'normal interval from stored standard errors (sealed or unpaired runs)';
    out.push(`Drops judged with a ${Math.round(gate.confidence * 100)} % interval of Δ: ${how}.`);
    out.push(`**Mode:** \`${gate.mode}\` — ${modeLine(gate).replace(/^mode [a-z-]+(: |; )/, '')}.`);
  }
  if (sealed)
    out.push('', '> 🔒 **Holdout (sealed):** aggregate figures only; no cases or queries are shown.');
  if (gate && !gate.pass) {
    out.push('', '**Why it failed**', '');
    for (const r of gate.reasons) out.push(`- ${cell(r)}`);
  }

  const rows = reportRows(input);
  out.push('', '#### Metrics', '');
  if (baseline) {
    out.push('| Metric | Baseline | Candidate | Δ | 95 % CI of Δ | Gate |', '|---|---:|---:|---:|---|:-:|');
    for (const r of rows) {
      const ci =
        r.lo !== undefined && r.hi !== undefined
          ? `[${formatDelta(r.metric, r.lo)}, ${formatDelta(r.metric, r.hi)}]`
          : '';
      out.push(
        `| \`${r.metric}\` | ${formatValue(r.metric, r.baseline)} | ${formatValue(r.metric, r.candidate)} | ${formatDelta(r.metric, r.delta)} | ${ci} | ${r.status ? STATUS[r.status] : ''} |`,
      );
    }
  } else {
    out.push('| Metric | Value | 95 % CI |', '|---|---:|---|');
    for (const r of rows) {
      const ci = r.ci ? `[${r.ci.lo.toFixed(3)}, ${r.ci.hi.toFixed(3)}]` : '';
      out.push(`| \`${r.metric}\` | ${formatValue(r.metric, r.candidate)} | ${ci} |`);
    }
  }
  if (gate?.latency) {
    const l = gate.latency;
    out.push(
      '',
      l.gated === false
        ? `Latency p95 ${l.baseline} ms → ${l.candidate} ms (×${l.ratio.toFixed(2)}) – ${l.note}`
        : `Latency p95 ${l.baseline} ms → ${l.candidate} ms, ratio ×${l.ratio.toFixed(2)} (max ×${l.maxRatio}${l.graceMs ? ` + ${l.graceMs} ms` : ''}) ${STATUS[l.status]} ${l.note ?? ''}`,
    );
  }
  if (gate?.power) {
    out.push(
      '',
      '#### Power of this comparison',
      '',
      '| Metric | Cases | Margin | Smallest drop failed at 80 % | Neutral change fails | Resolvable margin |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const p of gate.power.metrics) {
      out.push(
        `| \`${p.metric}\` | ${p.n} | ${p.margin ?? ''} | ${p.mde?.toFixed(3) ?? ''} | ${p.falseFailure === undefined ? '' : `${(100 * p.falseFailure).toFixed(1)} %`} | ${p.resolvableMargin.toFixed(3)}${p.resolved ? '' : ` ⚠️ needs ${p.casesNeeded} cases`} |`,
      );
    }
  }

  const kinds = Object.keys(candidate.byKind);
  if (kinds.length) {
    const cols = KIND_COLUMNS.filter((m) => kinds.some((k) => candidate.byKind[k]?.[m] !== undefined));
    out.push('', '#### By kind', '', `| Kind | Cases | ${cols.map((c) => `\`${c}\``).join(' | ')} |`);
    out.push(`|---|---:|${cols.map(() => '---:').join('|')}|`);
    for (const k of kinds) {
      const vals = cols.map((m) => {
        const cv = candidate.byKind[k]?.[m];
        const bv = baseline?.byKind[k]?.[m];
        const d = cv !== undefined && bv !== undefined && bv !== cv ? ` (${formatDelta(m, cv - bv)})` : '';
        return `${formatValue(m, cv)}${d}`;
      });
      out.push(`| ${k} | ${candidate.casesByKind[k] ?? ''} | ${vals.join(' | ')} |`);
    }
  }

  if (gate && !sealed) {
    out.push(
      '',
      `#### Cases that went from pass to fail (${gate.regressions.length}; ${gate.improvements} went the other way)`,
    );
    if (gate.regressions.length) {
      out.push('', '| Case | Kind | Query |', '|---|---|---|');
      for (const r of gate.regressions.slice(0, 20))
        out.push(`| \`${r.id}\` | ${r.kind} | ${cell(clip(r.query))} |`);
      if (gate.regressions.length > 20) out.push('', `…and ${gate.regressions.length - 20} more.`);
    }
    if (gate.worst.length) {
      out.push('', '#### Worst regressions by metric', '');
      for (const w of gate.worst) {
        const list = w.cases
          .map((c) => `\`${c.id}\` ${c.baseline.toFixed(2)}→${c.candidate.toFixed(2)}`)
          .join(', ');
        out.push(`- \`${w.metric}\`: ${list}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
