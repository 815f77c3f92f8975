/**
 * The watch page in the browser: follows live runs through server-sent events (each update swaps in
 * the server-rendered fragment, so the page has one renderer), shows times in the reader's local
 * time zone and keeps the clocks of running runs ticking. Without script the pages work as they are.
 */
import { formatDuration, formatLocal } from '../format.ts';

const status = (): HTMLElement | null => document.querySelector<HTMLElement>('.live-status');

function announce(text: string): void {
  const el = status();
  if (el) el.textContent = text;
}

function localTimes(root: ParentNode): void {
  for (const el of Array.from(root.querySelectorAll<HTMLTimeElement>('time[datetime]'))) {
    const date = new Date(el.dateTime);
    if (Number.isNaN(date.getTime())) continue;
    el.title = el.textContent ?? '';
    el.textContent = formatLocal(date);
  }
}

function tick(): void {
  const now = Date.now();
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-since]'))) {
    const since = Date.parse(el.dataset.since ?? '');
    if (!Number.isNaN(since)) el.textContent = formatDuration(Math.max(0, now - since));
  }
}

/** Which <details> are open, by the id of their step, so a swap keeps what the reader opened. */
function openState(root: HTMLElement): Map<string, boolean> {
  const state = new Map<string, boolean>();
  for (const li of Array.from(root.querySelectorAll<HTMLElement>('li.step[id]'))) {
    const details = li.querySelector('details');
    if (details) state.set(li.id, details.open);
  }
  return state;
}

function restoreOpen(root: HTMLElement, state: Map<string, boolean>): void {
  for (const [id, open] of state) {
    const details = root.querySelector<HTMLDetailsElement>(`li.step[id="${CSS.escape(id)}"] details`);
    if (details) details.open = open;
  }
}

function follow(section: HTMLElement): void {
  const src = section.dataset.liveSrc;
  const fragment = section.dataset.liveFragment;
  if (!src || !fragment || typeof EventSource === 'undefined') return;
  const source = new EventSource(src);
  let pending: Promise<void> = Promise.resolve();
  section.dataset.live = 'connecting';
  const refresh = () => {
    pending = pending.then(async () => {
      const res = await fetch(fragment, { headers: { accept: 'text/html' } });
      if (!res.ok) return;
      const open = openState(section);
      section.innerHTML = await res.text();
      restoreOpen(section, open);
      localTimes(section);
      tick();
      announce(`Updated ${formatLocal(new Date())}`);
    });
  };
  source.addEventListener('open', () => {
    section.dataset.live = 'on';
  });
  source.addEventListener('update', refresh);
  source.addEventListener('end', () => {
    source.close();
    section.dataset.live = 'ended';
    refresh();
    announce('The run has ended.');
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; say so only while it is down.
    if (source.readyState === EventSource.CONNECTING) section.dataset.live = 'reconnecting';
  });
}

function start(): void {
  localTimes(document);
  tick();
  setInterval(tick, 1000);
  for (const section of Array.from(document.querySelectorAll<HTMLElement>('[data-live-src]')))
    follow(section);
  document.body.dataset.ready = 'true';
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
