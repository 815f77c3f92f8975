import { html } from 'hono/html';
import type { Window } from '../data.ts';
import type { Scoreboard } from '../figures.ts';
import { formatDuration, formatPercent, formatUsd } from '../format.ts';
import type { Html } from './layout.ts';
import { windowNote } from './merges.ts';

function figure(label: string, value: string, note?: string): Html {
  return html`<div class="figure"><dt>${label}</dt><dd><span class="value">${value}</span>${note ? html`<small>${note}</small>` : ''}</dd></div>`;
}

export function scoreboardBody(s: Scoreboard & { window: Window }): Html {
  return html`<h1>Scoreboard</h1>
<p class="lede">The figures this public experiment is judged by.</p>
${windowNote(s.window)}
<dl class="figures">
${figure('Issues taken', String(s.issuesTaken), `of ${s.issuesSeen} seen, in ${s.runs} run(s)`)}
${figure('Merged', String(s.merged))}
${figure('Merge rate', formatPercent(s.mergeRate), 'merged / issues taken')}
${figure('Reverts', String(s.reverts), 'merges undone after main failed')}
${figure('Median issue → merge', formatDuration(s.medianIssueToMergeMs))}
${figure('Cost per merged PR', formatUsd(s.costPerMergedPr), `${formatUsd(s.spentUsd)} spent in all${s.unpricedCalls > 0 ? `, ${s.unpricedCalls} unpriced call(s)` : ''}`)}
${figure('Refused tool calls', String(s.refusedToolCalls))}
</dl>
<h2>Refusals by reason</h2>
${
  s.refusals.length === 0
    ? html`<p class="empty">No tool call refused yet.</p>`
    : html`<div class="scroll"><table class="refusals">
<thead><tr><th scope="col">Rule</th><th scope="col">Refused</th><th scope="col">Example</th></tr></thead>
<tbody>${s.refusals.map((r) => html`<tr><th scope="row">${r.category}</th><td class="num">${r.count}</td><td><code>${r.example}</code></td></tr>`)}</tbody></table></div>`
}
<h2>Runs that ended without a merge</h2>
${
  s.stopReasons.length === 0
    ? html`<p class="empty">None.</p>`
    : html`<div class="scroll"><table class="stops">
<thead><tr><th scope="col">Stop reason</th><th scope="col">Runs</th></tr></thead>
<tbody>${s.stopReasons.map((r) => html`<tr><th scope="row"><code>${r.reason}</code></th><td class="num">${r.count}</td></tr>`)}</tbody></table></div>`
}
<h2>Runs by status</h2>
<ul class="statuses">${Object.entries(s.statuses).map(([status, count]) => html`<li><a href="/?status=${status}">${status}</a>: ${count}</li>`)}</ul>`;
}
