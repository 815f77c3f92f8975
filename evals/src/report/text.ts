import type { GateResult } from '../gate.ts';
import type { MutationReport } from '../mutants.ts';
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
    `gate: ${g.pass ? 'PASS' : 'FAIL'} — baseline ${g.baselineCases} cases, candidate ${g.candidateCases} cases; ${how}, ${Math.round(g.confidence * 100)} % CI`,
  );
  if (g.holdout) lines.push('holdout: sealed, aggregate figures only');
  for (const c of g.checks) {
    const vals =
      c.status === 'skip'
        ? 'not reported by either run'
        : `${formatValue(c.metric, c.baseline)} → ${formatValue(c.metric, c.candidate)}${c.delta !== undefined ? ` (Δ ${formatDelta(c.metric, c.delta)}, CI [${formatDelta(c.metric, c.lo)}, ${formatDelta(c.metric, c.hi)}])` : ''}`;
    const rule = [
      c.floor !== undefined ? `floor ${c.floor}` : '',
      c.maxDrop !== undefined ? `max drop ${c.maxDrop}` : '',
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
      `  ${l.status.toUpperCase().padEnd(4)} latencyP95Ms           ${l.baseline} ms → ${l.candidate} ms (×${l.ratio.toFixed(2)}, max ×${l.maxRatio}${l.graceMs ? ` + ${l.graceMs} ms` : ''})`,
    );
  }
  lines.push(
    `  ${g.errors.status.toUpperCase().padEnd(4)} failed calls           ${g.errors.baseline} → ${g.errors.candidate}`,
  );
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
