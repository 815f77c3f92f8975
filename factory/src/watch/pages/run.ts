import { html } from 'hono/html';
import type { MetricRow } from '../figures.ts';
import { formatDelta, formatDuration, formatMetric, formatTokens, formatUsd } from '../format.ts';
import type { CommandView, GateView, HoldoutView, StepDetail } from '../steps.ts';
import type { RunTimeline, StepView } from '../timeline.ts';
import { duration, type Html, statusBadge, stepBadge, time, usd } from './layout.ts';

function exitText(c: { exitCode: number | null; timedOut: boolean; signal: string | null }): string {
  if (c.timedOut) return 'timed out';
  if (c.exitCode === null) return c.signal ? `killed (${c.signal})` : 'no exit code';
  return `exit ${c.exitCode}`;
}

function exitBadge(c: { exitCode: number | null; timedOut: boolean; signal: string | null }): Html {
  const ok = c.exitCode === 0 && !c.timedOut;
  return html`<span class="badge ${ok ? 'ok' : 'bad'}">${exitText(c)}</span>`;
}

function commandsBlock(title: string, commands: CommandView[]): Html {
  if (commands.length === 0) return html``;
  return html`<h4>${title}</h4><ul class="commands">${commands.map(
    (
      c,
    ) => html`<li><p><code>${c.name}</code> ${exitBadge(c)} <span class="muted">${formatDuration(c.durationMs)}${c.boundary ? ` · ${c.boundary}` : ''}</span></p>
<p><code class="argv">${c.command}</code></p>
${c.output.trim() ? html`<details${c.exitCode !== 0 ? html` open` : ''}><summary>Output (trimmed)</summary><pre class="output">${c.output}</pre></details>` : html`<p class="muted">No output.</p>`}</li>`,
  )}</ul>`;
}

export function gateBlock(gate: GateView): Html {
  return html`<h4>Evals gate ${gate.pass ? html`<span class="badge ok">passed</span>` : html`<span class="badge bad">failed</span>`}</h4>
${gate.cases ? html`<p class="muted">${gate.cases.paired} paired cases${gate.method ? ` · ${gate.method}` : ''} · ${formatDuration(gate.durationMs)}</p>` : ''}
${gate.reasons.length > 0 ? html`<ul class="reasons">${gate.reasons.map((r) => html`<li>${r}</li>`)}</ul>` : ''}
${metricsTable(gate.metrics)}
${gate.latency ? html`<p>Latency p95: main ${gate.latency.mainP95Ms.toFixed(0)} ms, candidate ${gate.latency.candidateP95Ms.toFixed(0)} ms (ratio ${gate.latency.ratio.toFixed(2)}, max ${gate.latency.maxRatio}) ${stepBadge(gate.latency.status)}</p>` : ''}
<details><summary>The gate's report (Markdown)</summary><pre class="output">${gate.markdown}</pre></details>`;
}

export function metricsTable(metrics: MetricRow[]): Html {
  if (metrics.length === 0) return html``;
  return html`<div class="scroll"><table class="metrics">
<caption class="visually-hidden">Eval metrics, main against the candidate</caption>
<thead><tr><th scope="col">Metric</th><th scope="col">Main</th><th scope="col">Candidate</th><th scope="col">Δ</th><th scope="col">95 % CI</th><th scope="col">Check</th></tr></thead>
<tbody>${metrics.map(
    (m) =>
      html`<tr><th scope="row">${m.metric}</th><td class="num">${formatMetric(m.main)}</td><td class="num">${formatMetric(m.candidate)}</td><td class="num delta ${m.delta !== null && m.delta < 0 ? 'down' : m.delta !== null && m.delta > 0 ? 'up' : ''}">${formatDelta(m.delta)}</td><td class="num">${m.lo !== null && m.hi !== null ? `${formatDelta(m.lo)} … ${formatDelta(m.hi)}` : '—'}</td><td>${stepBadge(m.status)}</td></tr>`,
  )}</tbody></table></div>`;
}

function holdoutBlock(h: HoldoutView): Html {
  const names = Object.keys(h.aggregates);
  return html`<h4>Sealed holdout ${h.pass ? html`<span class="badge ok">passed</span>` : html`<span class="badge bad">failed</span>`}</h4>
<p class="muted">Only pass/fail and aggregate figures leave the holdout.${h.cases ? ` ${h.cases.candidate} cases.` : ''}${h.failed.length > 0 ? ` Failed: ${h.failed.join(', ')}.` : ''}</p>
${
  names.length > 0
    ? html`<div class="scroll"><table class="metrics"><thead><tr><th scope="col">Aggregate</th><th scope="col">Main</th><th scope="col">Candidate</th></tr></thead><tbody>${names.map(
        (n) =>
          html`<tr><th scope="row">${n}</th><td class="num">${formatMetric(h.aggregates[n]?.main ?? null)}</td><td class="num">${formatMetric(h.aggregates[n]?.candidate ?? null)}</td></tr>`,
      )}</tbody></table></div>`
    : ''
}`;
}

function list(items: string[], empty = '—'): Html {
  return items.length > 0
    ? html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`
    : html`<p class="muted">${empty}</p>`;
}

function detailBlock(d: StepDetail): Html {
  switch (d.kind) {
    case 'intake':
      return html`<p>${d.title}</p><p class="muted">by ${d.author ?? 'unknown'} · ${d.keptComments} comment(s) kept, ${d.ignoredComments} ignored${d.removed.htmlComments + d.removed.zeroWidth + d.removed.bidi > 0 ? html` · <strong>removed</strong> ${d.removed.htmlComments} HTML comment(s), ${d.removed.zeroWidth} invisible and ${d.removed.bidi} bidi character(s)` : ''}</p>`;
    case 'triage':
      return html`<p><strong>${d.decision}</strong> · ${d.category} · priority ${d.priority}</p><p>${d.reason}</p>`;
    case 'limit':
      return html`<p class="refusal">Refused by <code>${d.limit}</code>: ${d.detail}</p>`;
    case 'plan':
      return d.ok
        ? html`<p>${d.summary}</p><h4>Steps</h4>${list(d.steps)}<h4>Files</h4>${list(d.files)}<h4>Risks</h4>${list(d.risks, 'none named')}`
        : html`<p class="refusal">${d.failure}</p>`;
    case 'agent':
      return html`${d.summary ? html`<p>${d.summary}</p>` : ''}${d.failure ? html`<p class="refusal">${d.failure}</p>` : ''}
<p class="muted">${d.turns} turn(s), ${d.toolCalls} tool call(s)${d.commit ? html` · commit <code>${d.commit.slice(0, 12)}</code>` : ''}${d.changedLines !== null ? ` · ${d.changedLines} changed line(s)` : ''}</p>
${d.files.length > 0 ? html`<ul class="files">${d.files.map((f) => html`<li><code>${f.path}</code> <span class="muted">${f.status} +${f.added} −${f.deleted}</span></li>`)}</ul>` : ''}`;
    case 'validate':
      return html`${d.policy ? html`<p>Policy on the diff: ${d.policy.ok ? html`<span class="badge ok">ok</span>` : html`<span class="badge bad">broken</span>`} <span class="muted">${d.policy.files} file(s), ${d.policy.changedLines} line(s)</span></p>${d.policy.problems.length > 0 ? list(d.policy.problems) : ''}` : ''}
${commandsBlock('Commands', d.commands)}
${d.gate ? gateBlock(d.gate) : ''}
${d.holdout ? holdoutBlock(d.holdout) : ''}`;
    case 'review':
      return html`<p>${d.solvesIssue ? html`<span class="badge ok">solves the issue</span>` : html`<span class="badge bad">does not solve the issue</span>`} ${d.summary}</p>
${d.findings.length > 0 ? html`<ul class="findings">${d.findings.map((f) => html`<li class="sev-${f.severity}"><span class="badge sev sev-${f.severity}">${f.severity}</span> ${f.file ? html`<code>${f.file}</code> ` : ''}${f.message}</li>`)}</ul>` : html`<p class="muted">No findings.</p>`}`;
    case 'merge':
      return html`<p>Decision: ${d.merge ? html`<span class="badge ok">merge</span>` : html`<span class="badge bad">do not merge</span>`}${d.pr !== null ? html` · PR #${d.pr}` : ''}${d.mergedSha ? html` · <code>${d.mergedSha.slice(0, 12)}</code>` : ''}${d.via ? ` · via ${d.via}` : ''}${d.alreadyMerged ? ' · already merged' : ''}${d.revalidated ? ' · main moved: validated again' : ''}</p>
<ul class="checks">${d.checks.map((c) => html`<li class="${c.ok ? 'ok' : 'bad'}"><span class="mark" aria-hidden="true">${c.ok ? '✓' : '✗'}</span> <strong>${c.name}</strong><span class="visually-hidden">${c.ok ? ' passed' : ' failed'}</span>: ${c.detail}</li>`)}</ul>`;
    case 'exhausted':
      return html`<p class="refusal">Still failing after ${d.attempts} fix round(s): not merged.</p>`;
    case 'verify':
      return html`${commandsBlock("Main's validation after the merge", d.commands)}${d.revertSha ? html`<p class="refusal">Main failed: the factory reverted its merge (<code>${d.revertSha.slice(0, 12)}</code>${d.revertPr !== null ? `, PR #${d.revertPr}` : ''}).</p>` : ''}`;
    case 'error':
      return html`<p class="refusal">${d.message}</p>`;
    case 'unrecognised':
      return html`<p class="muted">The result of this step is stored in a form this page does not know; it is not shown.</p>`;
  }
}

function eventsBlock(
  s: Pick<StepView, 'modelCalls' | 'failedCalls' | 'toolCalls' | 'commands' | 'notes'>,
): Html {
  return html`${
    s.modelCalls.length > 0
      ? html`<h4>Model calls</h4><div class="scroll"><table class="calls">
<thead><tr><th scope="col">Model</th><th scope="col">Input</th><th scope="col">Cache w/r</th><th scope="col">Output</th><th scope="col">Cost</th><th scope="col">Time</th></tr></thead>
<tbody>${s.modelCalls.map(
          (c) =>
            html`<tr><th scope="row"><code>${c.model}</code>${c.retries.length > 0 ? html` <span class="badge warn">${c.retries.length} retr${c.retries.length === 1 ? 'y' : 'ies'}</span>` : ''}</th><td class="num">${formatTokens(c.inputTokens)}</td><td class="num">${formatTokens(c.cacheCreationInputTokens)} / ${formatTokens(c.cacheReadInputTokens)}</td><td class="num">${formatTokens(c.outputTokens)}</td><td class="num">${formatUsd(c.usd)}</td><td class="num">${formatDuration(c.durationMs)}</td></tr>`,
        )}</tbody></table></div>`
      : ''
  }
${s.failedCalls.length > 0 ? html`<ul class="failed-calls">${s.failedCalls.map((f) => html`<li><span class="badge warn">HTTP ${f.status ?? 'error'}</span> <code>${f.model}</code> ${f.error ?? ''}</li>`)}</ul>` : ''}
${
  s.toolCalls.length > 0
    ? html`<h4>Tool calls</h4><ul class="tools">${s.toolCalls.map(
        (t) =>
          html`<li class="${t.refused ? 'refused' : t.verdict === 'ok' ? '' : 'error'}"><span class="badge ${t.refused ? 'bad' : t.verdict === 'ok' ? 'ok' : 'warn'}">${t.refused ? 'REFUSED' : t.verdict}</span> <code>${t.tool}</code>${t.target ? html` <code class="target">${t.target}</code>` : ''}${t.exitCode !== null ? html` <span class="muted">exit ${t.exitCode}</span>` : ''}${t.reason ? html`<p class="why">${t.reason}</p>` : ''}</li>`,
      )}</ul>`
    : ''
}
${
  s.commands.length > 0
    ? html`<h4>Commands run</h4><ul class="cmd-events">${s.commands.map(
        (c) =>
          html`<li>${exitBadge(c)} <code class="argv">${c.argv.join(' ')}</code> <span class="muted">${formatDuration(c.durationMs)}${c.boundary ? ` · ${c.boundary}` : ''}</span></li>`,
      )}</ul>`
    : ''
}
${s.notes.length > 0 ? html`<ul class="notes">${s.notes.map((n) => html`<li>${n.text}</li>`)}</ul>` : ''}`;
}

function stepBlock(s: StepView): Html {
  const refused = s.toolCalls.filter((t) => t.refused).length;
  return html`<li class="step" data-status="${s.status}" id="step-${s.name}">
<details${s.status !== 'ok' || ['merge', 'validate'].some((n) => s.name.startsWith(n)) ? html` open` : ''}>
<summary><span class="step-name">${s.name}</span> ${stepBadge(s.status)}${s.reason ? html` <code class="reason">${s.reason}</code>` : ''} <span class="muted">${formatDuration(s.durationMs)}${s.modelCalls.length > 0 ? ` · ${s.modelCalls.length} model call(s)` : ''}</span>${refused > 0 ? html` <span class="badge bad">${refused} refused</span>` : ''}</summary>
<div class="step-body">
<p class="muted">Started ${time(s.startedAt)}</p>
${detailBlock(s.detail)}
${eventsBlock(s)}
</div>
</details>
</li>`;
}

export function timelineBody(t: RunTimeline): Html {
  const r = t.run;
  return html`<div id="timeline">
<h1>Issue #${r.issue}${r.title ? html`: ${r.title}` : ''}</h1>
<dl class="facts">
<div><dt>Status</dt><dd>${statusBadge(r.status)}${r.stopReason ? html` <code class="reason">${r.stopReason}</code>` : ''}</dd></div>
<div><dt>PR</dt><dd>${r.pr !== null ? html`#${r.pr}` : '—'}</dd></div>
<div><dt>Cost</dt><dd>${usd(t.ledger.usd === null ? t.ledger.knownUsd : t.ledger.usd, t.ledger.unpricedCalls)} <small>${t.ledger.calls} call(s), ${formatTokens(r.cost.inputTokens)} in / ${formatTokens(r.cost.outputTokens)} out</small></dd></div>
<div><dt>Duration</dt><dd>${duration(r.durationMs, r.live ? r.createdAt : undefined)}</dd></div>
<div><dt>Started</dt><dd>${time(r.createdAt)}</dd></div>
<div><dt>Branch</dt><dd><code>${r.branch}</code> from <code>${r.base}</code> @ <code>${r.baseSha.slice(0, 12)}</code></dd></div>
<div><dt>Sandbox</dt><dd>${r.sandbox ?? '—'}</dd></div>
<div><dt>Run</dt><dd><code>${r.runId}</code></dd></div>
</dl>
<h2>Timeline</h2>
<ol class="steps">${t.steps.map(stepBlock)}</ol>
${r.live ? html`<p class="muted live-note">Running: this page follows the run as it goes.</p>` : ''}
${t.other.length > 0 ? html`<h2>Other events</h2>${t.other.map((o) => html`<h3>${o.step}</h3>${eventsBlock(o)}`)}` : ''}
<h2>The diff</h2>
${
  t.diff
    ? html`<ul class="files">${t.diff.files.map((f) => html`<li><code>${f.path}</code> <span class="muted">${f.status} +${f.added} −${f.deleted}</span></li>`)}</ul>
${t.diff.patch !== null ? html`<pre class="diff" tabindex="0" aria-label="The diff">${t.diff.patch.split('\n').map((line) => html`<span class="${line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : line.startsWith('@@') ? 'hunk' : ''}">${line}\n</span>`)}</pre>` : html`<p class="muted">This run's factory version did not record the patch; the files are listed above.</p>`}`
    : html`<p class="muted">No change was made.</p>`
}
</div>`;
}

export function runBody(t: RunTimeline): Html {
  return html`<p class="crumbs"><a href="/">Runs</a> › run <code>${t.run.runId.slice(0, 8)}</code></p>
<section data-live-src="${t.run.live ? `/api/runs/${t.run.runId}/live` : ''}" data-live-fragment="/fragments/runs/${t.run.runId}" aria-label="Run">
${timelineBody(t)}
</section>`;
}
