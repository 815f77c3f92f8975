import { html } from 'hono/html';
import { formatTokens } from '../format.ts';
import { type RunsQuery, SHOWN_STATUSES } from '../queries.ts';
import type { RunRow } from '../timeline.ts';
import { duration, type Html, statusBadge, time, usd } from './layout.ts';

export function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function runsTable(rows: RunRow[]): Html {
  if (rows.length === 0) return html`<p class="empty">No runs yet.</p>`;
  return html`<table class="runs cards">
<caption class="visually-hidden">Factory runs, newest first</caption>
<thead><tr><th scope="col">Issue</th><th scope="col">Status</th><th scope="col">Step</th><th scope="col">PR</th><th scope="col">Cost</th><th scope="col">Duration</th><th scope="col">Started</th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr class="run" data-run="${r.runId}" data-status="${r.status}">
<th scope="row" data-label="Issue"><a href="/runs/${r.runId}">#${r.issue}${r.title ? html` <span class="title">${r.title}</span>` : ''}</a></th>
<td data-label="Status"><span>${statusBadge(r.status)}${r.stopReason && r.stopReason !== 'merged' ? html` <code class="reason">${r.stopReason}</code>` : ''}</span></td>
<td data-label="Step">${r.currentStep ?? '—'}</td>
<td data-label="PR">${r.pr !== null ? html`#${r.pr}` : '—'}</td>
<td data-label="Cost" class="num"><span>${usd(r.cost.usd)} <small>${formatTokens(r.cost.inputTokens + r.cost.outputTokens)} tokens</small></span></td>
<td data-label="Duration" class="num">${duration(r.durationMs, r.live ? r.createdAt : undefined)}</td>
<td data-label="Started">${time(r.createdAt)}</td>
</tr>`,
)}
</tbody>
</table>`;
}

export function runsBody(rows: RunRow[], query: RunsQuery): Html {
  const fragment = `/fragments/runs${queryString({ status: query.status, issue: query.issue, limit: query.limit })}`;
  const running = rows.filter((r) => r.live).length;
  return html`<h1>Runs</h1>
<p class="lede">Every issue the factory takes goes intake → triage → plan → implement → validate → review → merge. ${running > 0 ? html`<strong>${running} running now.</strong>` : 'Nothing running right now.'}</p>
<form class="filters" method="get" action="/">
<label>Status <select name="status"><option value="">any</option>${SHOWN_STATUSES.map(
    (s) => html`<option value="${s}"${query.status === s ? html` selected` : ''}>${s}</option>`,
  )}</select></label>
<label>Issue <input name="issue" inputmode="numeric" pattern="[0-9]*" size="6" value="${query.issue ?? ''}"></label>
<button type="submit">Show</button>
</form>
<section id="runs" aria-label="Runs" data-live-src="/api/runs/live" data-live-fragment="${fragment}">
${runsTable(rows)}
</section>`;
}
