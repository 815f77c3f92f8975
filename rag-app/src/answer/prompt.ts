/**
 * The grounded prompt: numbered passages from the hits and rules that keep the model to them.
 * Pure text building, no I/O.
 */
import { formatTimestamp } from '@dark-factory/kit';
import type { SearchHit } from '../types.ts';

/** The model replies with exactly this when the passages do not answer the question. */
export const NOT_COVERED_TOKEN = 'NOT_COVERED_BY_VIDEOS';

export const SYSTEM_PROMPT = `You answer questions about a YouTube channel using only the numbered transcript passages in the user's message.

The passages are automatic speech-recognition transcripts: lower case, no punctuation, misheard names (for example "pantic AI" means Pydantic AI, "Lane graph" means LangGraph). Read past that, and write names correctly in your answer.

Rules:
- Use only what the passages say. Do not add facts from your own knowledge, even if you know them.
- After each sentence that states something from the passages, cite the passage numbers in square brackets, like [2] or [1][3]. Cite only numbers that appear in the passages.
- Be direct and concise: a short paragraph or a few bullet points, no preamble, no closing summary.
- If the passages do not contain the answer to the question, reply with exactly ${NOT_COVERED_TOKEN} and nothing else. Do the same when they only mention the topic in passing without answering the question.
- A word is not the subject: if the question names something (a language, a product, a model version, a person) that the passages never actually discuss, reply with exactly ${NOT_COVERED_TOKEN}, even when the passages use the same word in another sense or in a list.`;

/** One block per hit, numbered from 1 in rank order. */
export function formatPassages(hits: readonly SearchHit[]): string {
  return hits
    .map((hit, i) => {
      const text = hit.text.replace(/\s+/g, ' ').trim();
      return `[${i + 1}] "${hit.title}" (${formatTimestamp(hit.start)}-${formatTimestamp(hit.end)})\n${text}`;
    })
    .join('\n\n');
}

export function buildUserMessage(question: string, hits: readonly SearchHit[]): string {
  return `Passages:\n\n${formatPassages(hits)}\n\nQuestion: ${question.trim()}`;
}

export interface Prompt {
  system: string;
  messages: { role: 'user'; content: string }[];
}

export function buildPrompt(question: string, hits: readonly SearchHit[]): Prompt {
  return { system: SYSTEM_PROMPT, messages: [{ role: 'user', content: buildUserMessage(question, hits) }] };
}
