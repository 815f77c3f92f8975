import type { GateResult } from '../gate.ts';
import type { MutationReport } from '../mutants.ts';
import type { MetricPower } from '../power.ts';
import type { SlightReport } from '../slight.ts';
import type { Summary } from '../summary.ts';
import { formatDelta, formatValue, reportRows } from './model.ts';

/** Terminal summary of a run. */
export function renderRunText(s: Summary): string {
  const lines = [
    `${s.cases} cases (${Object.entries(s.casesByKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(
        ', ',
      )})${s.durationMs !== undefined ? ` in ${(s.durationMs / 1000).toFixed(1)} s` : ''}${s.errors ? `, ${s.errors} failed call(s)` : ''}${s.holdout ? ' [holdout: sealed]' : ''}`,
  ];
  for (const r of reportRows({ candidate: s })) {
    const ci = r.ci ? `  [${r.ci.lo.toFixed(3)}, ${r.ci.hi.toFixed(3)}]` : '';
    lines.push(`  ${r.metric.padEnd(24)} ${formatValue(r.metric, r.candidate).padStart(10)}${ci}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Terminal verdict of the gate: why it passed or failed. */
export function renderGateText(g: GateResult): string {
  const lines: string[] = [];
  const how =
    g.method === 'paired-bootstrap'
      ? `paired bootstrap over ${g.pairedCases} cases, ${g.resamples} resamples`
      : 'unpaired normal interval (sealed/aggregate-only summaries)';
  lines.push(
    `gate: ${g.pass ? 'PASS' : 'FAIL'} (${modeLine(g)}) — baseline ${g.baselineCases} cases, candidate ${g.candidateCases} cases; ${how}, ${Math.round(g.confidence * 100)} % CI`,
  );
  if (g.holdout) lines.push('holdout: sealed, aggregate figures only');
  for (const c of g.checks) {
    const vals =
      c.status === 'skip'
        ? 'not reported by either run'
        : `${formatValue(c.metric, c.baseline)} → ${formatValue(c.metric, c.candidate)}${c.delta !== undefined ? ` (Δ ${formatDelta(c.metric, c.delta)}, CI [${formatDelta(c.metric, c.lo)}, ${formatDelta(c.metric, c.hi)}])` : ''}`;
    const rule = [
      c.floor !== undefined ? `floor ${c.floor}` : '',
      c.maxDrop !== undefined ? `${c.rule === 'non-inferiority' ? 'margin' : 'max drop'} ${c.maxDrop}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  ${c.status.toUpperCase().padEnd(4)} ${c.metric.padEnd(22)} ${vals}${rule ? `  [${rule}]` : ''}${c.reasons.length ? ` — ${c.reasons.join('; ')}` : ''}`,
    );
  }
  if (g.latency) {
    const l = g.latency;
    lines.push(
      `  ${l.status.toUpperCase().padEnd(4)} latencyP95Ms           ${l.baseline} ms → ${l.candidate} ms (×${l.ratio.toFixed(2)}${l.gated === false ? '' : `, max ×${l.maxRatio}${l.graceMs ? ` + ${l.graceMs} ms` : ''}`}) — ${l.note ?? ''}`,
    );
  }
  lines.push(
    `  ${g.errors.status.toUpperCase().padEnd(4)} failed calls           ${g.errors.baseline} → ${g.errors.candidate}`,
  );
  if (g.power) {
    lines.push('power of this comparison (per-case SD of Δ from the power record):');
    for (const p of g.power.metrics) lines.push(`  ${powerLine(p)}`);
    for (const u of g.power.underpowered) lines.push(`  underpowered: ${u}`);
  }
  if (!g.pass) {
    lines.push('why it failed:');
    for (const r of g.reasons) lines.push(`  - ${r}`);
  }
  if (!g.holdout && g.pairedCases) {
    lines.push(`cases pass → fail: ${g.regressions.length} (fail → pass: ${g.improvements})`);
    for (const r of g.regressions.slice(0, 20)) lines.push(`  ${r.id} [${r.kind}] ${r.query.slice(0, 90)}`);
    if (g.regressions.length > 20) lines.push(`  … and ${g.regressions.length - 20} more`);
  }
  return `${lines.join('\n')}\n`;
}

export function modeLine(g: Pick<GateResult, 'mode' | 'checks'>): string {
  const mode = g.mode ?? 'superiority';
  const fallback = mode === 'non-inferiority' && g.checks.some((c) => c.rule === 'superiority');
  return fallback
    ? `mode ${mode}; unpaired runs judged as superiority`
    : `mode ${mode}: ${mode === 'non-inferiority' ? 'each metric must show CI lower bound > −margin' : 'a metric fails only when its CI upper bound < −margin'}`;
}

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(100 * v).toFixed(1)} %`);

export function powerLine(p: MetricPower): string {
  return `${p.metric.padEnd(24)} n ${String(p.n).padStart(5)}  sd ${p.sd.toFixed(3)}  margin ${p.margin ?? '–'}  MDE@80% ${p.mde?.toFixed(3) ?? '–'}  neutral false failure ${pct(p.falseFailure)}  resolvable ≥ ${p.resolvableMargin.toFixed(3)}${p.resolved ? '' : `  NEEDS ${p.casesNeeded} cases`}`;
}

export function renderMutationText(m: MutationReport): string {
  const lines = [
    `mutation check over ${m.cases} cases: ${m.ok ? 'OK — the gate fails every mutant' : 'FAILED'}`,
  ];
  lines.push(
    `  control (unmutated rerun): gate ${m.control.pass ? 'passes (as it must)' : `FAILS: ${m.control.gate.reasons.join('; ')}`}`,
  );
  for (const o of m.mutants) {
    const why = o.gate.reasons.slice(0, 3).join('; ');
    lines.push(
      `  ${o.killed ? 'killed  ' : 'SURVIVED'} ${o.name.padEnd(18)} ${o.description}${o.killed ? ` — ${why}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const signed = (v: number | undefined) => (v === undefined ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`);

export function renderSlightText(r: SlightReport): string {
  const lines = [
    `slight mutants (real rag-app variants, every case, mode ${r.mode}): ${r.ok ? 'OK' : 'FAILED'}`,
  ];
  for (const m of r.mutants) {
    const req = m.atOrAboveMargin.length
      ? `at/above margin on ${m.atOrAboveMargin.join(', ')}`
      : 'below every margin';
    lines.push(
      `  ${m.ok ? 'ok      ' : 'SURVIVED'} ${m.name.padEnd(18)} drop ${m.drop.toFixed(3)} (${m.metric}) ${m.verdict.toUpperCase()} — ${req}${m.failed.length ? `; failed ${m.failed.join(', ')}` : ''}`,
    );
  }
  const n = r.neutral;
  lines.push(
    `  neutral controls: ${n.passed}/${n.runs.length} seeds pass (${(100 * n.passRate).toFixed(0)} %, required ≥ ${100 * n.required} %)${
      n.runs.some((x) => x.verdict === 'fail')
        ? ` — failed: ${n.runs
            .filter((x) => x.verdict === 'fail')
            .map((x) => `${x.name} (${x.failed.join(', ')})`)
            .join('; ')}`
        : ''
    }`,
  );
  for (const s of r.synthetic) {
    lines.push(
      `  synthetic ${s.name} (${s.mode}, margin ${s.margin}, ${s.cases} cases): Δ ${signed(s.delta)} CI [${signed(s.lo)}, ${signed(s.hi)}] → ${s.verdict.toUpperCase()}${s.expected && s.expected !== s.verdict ? ` (must ${s.expected})` : ''}`,
    );
  }
  for (const c of r.neutralChurn) {
    lines.push(
      `  synthetic neutral churn ${(100 * c.churn).toFixed(1)} % on ${c.metric}: fails ${(100 * c.failureRate).toFixed(1)} % of ${c.seeds} seeds`,
    );
  }
  lines.push('power (per-case SD of Δ from these runs):');
  for (const p of r.power) lines.push(`  ${p.dataset.padEnd(26)} ${powerLine(p)}`);
  return `${lines.join('\n')}\n`;
}
