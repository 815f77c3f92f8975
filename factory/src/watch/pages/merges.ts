import { html } from 'hono/html';
import type { Window } from '../data.ts';
import type { MergesReport, SpendReport } from '../figures.ts';
import { formatPercent, formatUsd } from '../format.ts';
import { metricsChart } from './chart.ts';
import { type Html, time, usd } from './layout.ts';
import { metricsTable } from './run.ts';

export function windowNote(w: Window): Html {
  return w.truncated ? html`<p class="muted">Figures over the newest ${w.limit} runs.</p>` : html``;
}

function spendBlock(s: SpendReport): Html {
  const b = s.budget;
  return html`<h2 id="spend">Daily spend against the budget</h2>
${b ? html`<p>Budget (mission.md <code>budgets.day</code>): <strong>${formatUsd(b.dayUsd)}</strong> and ${b.dayRuns} runs a day; <code>budgets.run.usd</code> ${formatUsd(b.runUsd)} a run. Days are UTC.</p>` : html`<p class="muted">No budget to compare with: ${s.budgetError ?? 'unknown'}.</p>`}
<div class="scroll"><table class="spend">
<caption class="visually-hidden">Spend per UTC day, newest first</caption>
<thead><tr><th scope="col">Day</th><th scope="col">Spent</th><th scope="col">Of budget</th><th scope="col">Calls</th><th scope="col">Runs</th></tr></thead>
<tbody>${s.days.map(
    (d) =>
      html`<tr class="${d.share !== null && d.share >= 1 ? 'over' : ''}"><th scope="row">${d.day}</th><td class="num">${usd(d.usd, d.unpricedCalls)}</td><td>${b ? html`<meter min="0" max="${b.dayUsd}" low="${b.dayUsd * 0.5}" high="${b.dayUsd * 0.8}" optimum="0" value="${Math.min(d.usd, b.dayUsd)}" aria-label="${d.day}: ${formatPercent(d.share)} of the daily budget">${formatPercent(d.share)}</meter> <span class="num">${formatPercent(d.share)}</span>` : '—'}</td><td class="num">${d.calls}</td><td class="num">${d.runs}${b ? html`<small> / ${b.dayRuns}</small>` : ''}</td></tr>`,
  )}</tbody></table></div>`;
}

export function mergesBody(m: MergesReport & { window: Window }, spend: SpendReport): Html {
  return html`<h1>Merges &amp; spend</h1>
<p class="lede">Is the app getting better or worse as the factory works? Each merge passed main's evals gate; these are its figures.</p>
${windowNote(m.window)}
<h2>Main eval metrics across merges</h2>
${metricsChart(m.series)}
<h2>Merged pull requests</h2>
${
  m.merges.length === 0
    ? html`<p class="empty">Nothing merged yet.</p>`
    : html`<ol class="merges" reversed>${m.merges.map(
        (x) => html`<li class="merge${x.reverted ? ' reverted' : ''}">
<h3><a href="/runs/${x.runId}">${x.pr !== null ? `PR #${x.pr}` : 'merge'} · issue #${x.issue}${x.title ? html`: ${x.title}` : ''}</a>${x.reverted ? html` <span class="badge bad">reverted</span>` : ''}</h3>
<p class="muted">Merged ${time(x.mergedAt)}${x.mergedSha ? html` · <code>${x.mergedSha.slice(0, 12)}</code>` : ''} · cost ${usd(x.costUsd)}${x.latency ? ` · p95 ${x.latency.mainP95Ms.toFixed(0)} → ${x.latency.candidateP95Ms.toFixed(0)} ms` : ''}</p>
${x.metrics.length > 0 ? metricsTable(x.metrics.filter((mm) => mm.status !== 'skip')) : html`<p class="muted">No evals gate configured for this run.</p>`}
</li>`,
      )}</ol>`
}
${spendBlock(spend)}`;
}
