// The chat page: conversations in a sidebar, questions and streamed answers in the main column.

import { renderAnswer, renderAnswerError } from './answer.ts';
import { api, reason, streamAsk } from './api.ts';
import { clear, h } from './dom.ts';
import type { Conversation, Me } from './types.ts';

export function renderChat(main: HTMLElement, me: Me): void {
  // In anonymous mode a visitor asks as a guest of their own, made on their first question.
  if (!me.user && !me.allowAnonymous) {
    main.append(
      h(
        'section',
        { class: 'panel narrow' },
        h('h1', {}, 'Ask the videos'),
        h('p', {}, 'Sign in or create an account to ask questions.'),
        h('p', {}, h('a', { href: '/login', class: 'button' }, 'Sign in')),
      ),
    );
    return;
  }

  const state: { conversationId: string | null; busy: boolean } = {
    conversationId: new URLSearchParams(location.search).get('c'),
    busy: false,
  };

  const sidebarToggle = h(
    'button',
    {
      type: 'button',
      class: 'sidebar-toggle secondary',
      'aria-expanded': 'false',
      'aria-controls': 'sidebar',
    },
    'Conversations',
  );
  const convList = h('ul', { class: 'conv-list', id: 'conv-list' });
  const searchInput = h('input', {
    id: 'conv-search',
    type: 'search',
    placeholder: 'Words from your messages',
  });
  const searchResults = h('div', {
    class: 'search-results',
    id: 'conv-search-results',
    'aria-live': 'polite',
  });
  const sidebar = h(
    'aside',
    { class: 'sidebar', id: 'sidebar', 'aria-label': 'Your conversations' },
    h(
      'button',
      { type: 'button', class: 'new-conv', onclick: () => openConversation(null) },
      'New conversation',
    ),
    h(
      'form',
      {
        role: 'search',
        class: 'conv-search',
        onsubmit: (event) => {
          event.preventDefault();
          runSearch();
        },
      },
      h('label', { for: 'conv-search' }, 'Search your conversations'),
      h('div', { class: 'row' }, searchInput, h('button', { type: 'submit', class: 'secondary' }, 'Search')),
    ),
    searchResults,
    h('h2', { class: 'sidebar-heading' }, 'Recent'),
    convList,
  );

  const title = h('h1', { id: 'conv-title' }, 'New conversation');
  const messages = h('ol', { class: 'messages', id: 'messages', 'aria-label': 'Messages' });
  const question = h('textarea', {
    id: 'question',
    name: 'question',
    rows: 3,
    maxlength: me.limits.questionChars,
    required: true,
    placeholder: 'e.g. What are the three stages of the PIV loop?',
  });
  const askButton = h('button', { type: 'submit', id: 'ask-button' }, 'Ask');
  const status = h('p', { class: 'ask-status', id: 'ask-status', role: 'status' });
  const form = h(
    'form',
    { class: 'ask-form', id: 'ask-form', onsubmit: onAsk },
    h('label', { for: 'question' }, 'Your question'),
    question,
    h('div', { class: 'row' }, askButton, status),
  );
  question.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  const layout = h(
    'div',
    { class: 'chat-layout' },
    sidebar,
    h('section', { class: 'chat', 'aria-labelledby': 'conv-title' }, sidebarToggle, title, messages, form),
  );
  sidebarToggle.addEventListener('click', () => {
    const open = layout.classList.toggle('sidebar-open');
    sidebarToggle.setAttribute('aria-expanded', String(open));
  });
  main.append(layout);

  function setUsage(): void {
    const left = Math.max(0, me.limits.dailyMessages - me.limits.usedToday);
    if (!state.busy) status.textContent = `${left} of ${me.limits.dailyMessages} questions left today`;
  }

  function setBusy(busy: boolean): void {
    state.busy = busy;
    askButton.disabled = busy;
    form.setAttribute('aria-busy', String(busy));
    askButton.textContent = busy ? 'Answering…' : 'Ask';
    if (busy) status.textContent = 'Answering…';
    else setUsage();
  }

  async function loadList(): Promise<void> {
    try {
      const { conversations } = await api.conversations(50);
      clear(convList);
      if (conversations.length === 0) convList.append(h('li', { class: 'muted' }, 'No conversations yet.'));
      for (const conv of conversations) convList.append(conversationItem(conv));
    } catch (err) {
      clear(convList).append(
        h('li', { class: 'error-text', role: 'alert' }, `Could not load conversations: ${reason(err)}`),
      );
    }
  }

  function conversationItem(conv: Conversation): HTMLLIElement {
    const current = conv.id === state.conversationId;
    const item = h('li', { class: current ? 'conv current' : 'conv', dataset: { id: conv.id } });
    const open = h(
      'a',
      {
        href: `/?c=${conv.id}`,
        class: 'conv-open',
        'aria-current': current ? 'page' : undefined,
        onclick: (event) => {
          event.preventDefault();
          openConversation(conv.id);
        },
      },
      conv.title,
    );
    const actions = h(
      'div',
      { class: 'conv-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'link-button',
          'aria-label': `Rename “${conv.title}”`,
          onclick: () => rename(conv, item),
        },
        'Rename',
      ),
      h(
        'a',
        {
          href: api.exportUrl(conv.id),
          class: 'link-button',
          download: '',
          'aria-label': `Export “${conv.title}” as Markdown`,
        },
        'Export',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'link-button danger',
          'aria-label': `Delete “${conv.title}”`,
          onclick: () => remove(conv),
        },
        'Delete',
      ),
    );
    item.append(open, actions);
    return item;
  }

  function rename(conv: Conversation, item: HTMLLIElement): void {
    const id = `rename-${conv.id}`;
    const input = h('input', { id, value: conv.title, maxlength: 200, required: true });
    const error = h('p', { class: 'error-text', role: 'alert' });
    const cancel = () => item.replaceWith(conversationItem(conv));
    const renameForm = h(
      'form',
      {
        class: 'rename-form',
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            const updated = await api.renameConversation(conv.id, { title: input.value });
            if (updated.id === state.conversationId) title.textContent = updated.title;
            await loadList();
          } catch (err) {
            error.textContent = reason(err);
          }
        },
      },
      h('label', { for: id, class: 'visually-hidden' }, 'New title'),
      input,
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit' }, 'Save'),
        h('button', { type: 'button', class: 'secondary', onclick: cancel }, 'Cancel'),
      ),
      error,
    );
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') cancel();
    });
    clear(item).append(renameForm);
    input.select();
  }

  async function remove(conv: Conversation): Promise<void> {
    if (!window.confirm(`Delete “${conv.title}”? This cannot be undone.`)) return;
    try {
      await api.deleteConversation(conv.id);
      if (conv.id === state.conversationId) openConversation(null);
      await loadList();
    } catch (err) {
      status.textContent = `Could not delete: ${reason(err)}`;
    }
  }

  async function runSearch(): Promise<void> {
    const q = searchInput.value.trim();
    clear(searchResults);
    if (!q) return;
    try {
      const { results } = await api.searchConversations(q);
      if (results.length === 0) {
        searchResults.append(h('p', { class: 'muted' }, `Nothing matches “${q}”.`));
        return;
      }
      searchResults.append(
        h(
          'ul',
          { class: 'search-list' },
          results.map((r) =>
            h(
              'li',
              {},
              h(
                'a',
                {
                  href: `/?c=${r.conversationId}`,
                  onclick: (event) => {
                    event.preventDefault();
                    openConversation(r.conversationId);
                  },
                },
                h('strong', {}, r.title),
                h('span', { class: 'snippet' }, r.snippet),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      searchResults.append(h('p', { class: 'error-text', role: 'alert' }, reason(err)));
    }
  }

  function userMessage(text: string): HTMLLIElement {
    return h(
      'li',
      { class: 'message user' },
      h('p', { class: 'who visually-hidden' }, 'You asked:'),
      h('p', { class: 'user-text' }, text),
    );
  }

  function assistantMessage(): { li: HTMLLIElement; body: HTMLDivElement } {
    const body = h('div', { class: 'answer', 'aria-busy': 'true' });
    return {
      li: h('li', { class: 'message assistant' }, h('p', { class: 'who visually-hidden' }, 'Answer:'), body),
      body,
    };
  }

  async function openConversation(id: string | null): Promise<void> {
    state.conversationId = id;
    history.replaceState(null, '', id ? `/?c=${id}` : '/');
    clear(messages);
    layout.classList.remove('sidebar-open');
    if (!id) {
      title.textContent = 'New conversation';
      await loadList();
      question.focus();
      return;
    }
    try {
      const conv = await api.conversation(id);
      title.textContent = conv.title;
      let lastQuestion = '';
      for (const m of conv.messages) {
        if (m.role === 'user') {
          lastQuestion = m.content;
          messages.append(userMessage(m.content));
        } else if (m.result) {
          const { li, body } = assistantMessage();
          renderAnswer(body, lastQuestion, { ...m.result, messageId: m.id });
          messages.append(li);
        }
      }
    } catch (err) {
      state.conversationId = null;
      title.textContent = 'New conversation';
      messages.append(
        h('li', { class: 'message error', role: 'alert' }, `Could not open the conversation: ${reason(err)}`),
      );
    }
    await loadList();
  }

  async function onAsk(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const text = question.value.trim();
    if (!text || state.busy) return;
    setBusy(true);
    const { li, body } = assistantMessage();
    try {
      if (!state.conversationId) {
        const conv = await api.createConversation({});
        state.conversationId = conv.id;
        history.replaceState(null, '', `/?c=${conv.id}`);
        loadList();
      }
      messages.append(userMessage(text), li);
      question.value = '';
      const streaming = h('p', { class: 'streaming' });
      body.append(streaming);
      const result = await streamAsk(
        { question: text, conversationId: state.conversationId },
        {
          onToken: (piece) => {
            streaming.textContent += piece;
            li.scrollIntoView({ block: 'end' });
          },
        },
      );
      renderAnswer(body, text, result);
      me.limits.usedToday += 1;
      await loadList();
      title.textContent = convTitle() ?? title.textContent;
    } catch (err) {
      if (!li.isConnected) messages.append(userMessage(text), li);
      renderAnswerError(body, err);
      if (question.value === '') question.value = text;
    } finally {
      setBusy(false);
      question.focus();
    }
  }

  function convTitle(): string | null {
    const current = convList.querySelector(`li[data-id="${state.conversationId}"] .conv-open`);
    return current?.textContent ?? null;
  }

  setUsage();
  openConversation(state.conversationId);
}
