// Tiny DOM helpers. Text always goes in as text nodes, never as HTML.

/** h('button', { class: 'x', onclick: fn, 'aria-label': 'Close' }, 'text', childNode) */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** 75 → "1:15", 3675 → "1:01:15". */
export function timestamp(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

/** The second a citation points at: its link's `t`, which is where the quoted sentence starts. */
export function citedSecond(citation) {
  try {
    const t = new URL(citation.url).searchParams.get('t');
    if (t !== null && /^\d+s?$/.test(t)) return Number.parseInt(t, 10);
  } catch {
    // Not a URL: use the start.
  }
  return Math.max(0, Math.floor(citation.start));
}

export function duration(sec) {
  return sec == null ? '' : timestamp(sec);
}

/** Announces a message to screen readers and shows it in `el`. */
export function say(el, message, kind = 'info') {
  el.textContent = message;
  el.dataset.kind = kind;
}
