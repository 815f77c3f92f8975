// One answer: its text, a refusal notice, the cited moments, and "report a problem".

import { ApiError, api, reason } from './api.ts';
import { citedSecond, clear, h, timestamp } from './dom.ts';
import { openPlayer } from './modal.ts';
import type { AskResponse, Citation, IssueBody } from './types.ts';

/** Paragraphs of plain text; "[2]" markers become buttons that open the second citation. */
function answerText(text: string, citations: readonly Citation[]): HTMLParagraphElement[] {
  const paragraphs = text.split(/\n{2,}/).filter((p) => p.trim());
  return paragraphs.map((paragraph) => {
    const p = h('p');
    for (const part of paragraph.split(/(\[\d+\])/)) {
      const n = /^\[(\d+)\]$/.exec(part);
      const citation = n ? citations[Number(n[1]) - 1] : undefined;
      if (n && citation) {
        p.append(
          h(
            'button',
            {
              type: 'button',
              class: 'cite-marker',
              'aria-label': `Source ${n[1]}: ${citation.title} at ${timestamp(citedSecond(citation))}`,
              onclick: (event) => openCitation(citation, event.currentTarget),
            },
            part,
          ),
        );
      } else p.append(part);
    }
    return p;
  });
}

function openCitation(citation: Citation, opener: EventTarget | null): void {
  openPlayer(
    { videoId: citation.videoId, title: citation.title, second: citedSecond(citation), text: citation.text },
    opener,
  );
}

function citationList(citations: readonly Citation[]): HTMLElement | null {
  if (citations.length === 0) return null;
  return h(
    'section',
    { class: 'citations', 'aria-label': 'Sources' },
    h('h3', {}, 'Sources'),
    h(
      'ol',
      {},
      citations.map((citation) => {
        const second = citedSecond(citation);
        return h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'citation',
              dataset: { videoId: citation.videoId, second: String(second) },
              onclick: (event) => openCitation(citation, event.currentTarget),
            },
            h('span', { class: 'cite-title' }, citation.title),
            h('span', { class: 'cite-time' }, timestamp(second)),
            h('q', { class: 'cite-snippet' }, citation.text),
          ),
        );
      }),
    ),
  );
}

/** "Report a problem": asks what went wrong, files the issue, shows its link. */
function reportControl(question: string, result: AskResponse): HTMLElement {
  const box = h('div', { class: 'report' });
  const status = h('p', { class: 'report-status', role: 'status' });
  const showButton = () => {
    clear(box).append(
      h(
        'button',
        { type: 'button', class: 'link-button report-open', onclick: showForm },
        'Report a problem',
      ),
      status,
    );
  };
  const showForm = () => {
    const id = `report-${Math.random().toString(36).slice(2, 9)}`;
    const textarea = h('textarea', {
      id,
      rows: 3,
      maxlength: 4000,
      placeholder: 'e.g. the answer is wrong, a link goes to the wrong moment…',
    });
    const submit = h('button', { type: 'submit' }, 'Send report');
    const form: HTMLFormElement = h(
      'form',
      {
        class: 'report-form',
        onsubmit: async (event) => {
          event.preventDefault();
          submit.disabled = true;
          form.setAttribute('aria-busy', 'true');
          status.textContent = 'Sending…';
          try {
            const body: IssueBody =
              result.messageId !== undefined
                ? { messageId: result.messageId, comment: textarea.value }
                : {
                    question,
                    answer: result.answer,
                    refused: result.refused,
                    citations: result.citations,
                    comment: textarea.value,
                  };
            const issue = await api.reportProblem(body);
            // GitHub's issues have a web address; the local forge's (forge://local/…) opens in no
            // browser, so the page names the command that shows it instead.
            const onTheWeb = /^https?:\/\//.test(issue.url);
            clear(box).append(
              h(
                'p',
                { class: 'report-done', role: 'status' },
                'Thank you. Filed as ',
                onTheWeb
                  ? h(
                      'a',
                      { href: issue.url, class: 'issue-link', target: '_blank', rel: 'noopener' },
                      `issue #${issue.number}`,
                    )
                  : [
                      `issue #${issue.number} in the local forge; see it with `,
                      h('code', { class: 'issue-command' }, `pnpm factory issues show ${issue.number}`),
                    ],
                '.',
              ),
            );
          } catch (err) {
            submit.disabled = false;
            form.removeAttribute('aria-busy');
            status.textContent = `Could not send the report: ${reason(err)}`;
            status.dataset.kind = 'error';
          }
        },
      },
      h('label', { for: id }, 'What went wrong?'),
      textarea,
      h(
        'div',
        { class: 'row' },
        submit,
        h('button', { type: 'button', class: 'secondary', onclick: showButton }, 'Cancel'),
      ),
    );
    clear(box).append(form, status);
    textarea.focus();
  };
  showButton();
  return box;
}

/** Fills `el` with a finished answer. */
export function renderAnswer(el: HTMLElement, question: string, result: AskResponse): void {
  clear(el);
  el.removeAttribute('aria-busy');
  el.classList.toggle('refused', result.refused);
  if (result.refused) {
    el.append(h('p', { class: 'refusal-notice' }, 'The videos don’t cover this.'));
  }
  el.append(h('div', { class: 'answer-text' }, answerText(result.answer, result.citations)));
  const list = citationList(result.citations);
  if (list) el.append(list);
  el.append(reportControl(question, result));
}

export function renderAnswerError(el: HTMLElement, err: unknown): void {
  clear(el);
  el.removeAttribute('aria-busy');
  el.classList.add('error');
  const limit = err instanceof ApiError && err.status === 429;
  el.append(
    h(
      'p',
      { role: 'alert', class: 'error-text' },
      limit ? 'Limit reached: ' : 'Something went wrong: ',
      reason(err),
    ),
  );
}
