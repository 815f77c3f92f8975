import type { Conversation, Message } from './conversations.ts';
import { formatTimestamp, linkText, quote } from './markdown.ts';

/** A conversation as a Markdown document: questions, answers and their cited moments. */
export function conversationToMarkdown(conversation: Conversation, messages: Message[]): string {
  const out: string[] = [
    `# ${conversation.title}`,
    '',
    `Exported ${new Date().toISOString().slice(0, 10)}.`,
    '',
  ];
  for (const m of messages) {
    if (m.role === 'user') {
      out.push(`## Q: ${m.content.replace(/\s+/g, ' ').trim()}`, '');
      continue;
    }
    const result = m.result;
    if (result?.refused) out.push('*The videos do not cover this.*', '');
    out.push(m.content.trim(), '');
    if (result && result.citations.length > 0) {
      out.push('Sources:', '');
      result.citations.forEach((c, i) => {
        out.push(`${i + 1}. [${linkText(c.title)} @ ${formatTimestamp(c.start)}](${c.url})`);
        out.push(quote(c.text).replace(/^/gm, '   '));
      });
      out.push('');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** A safe file name for the download. */
export function exportFileName(title: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${slug || 'conversation'}.md`;
}
