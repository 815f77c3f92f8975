import type Anthropic from '@anthropic-ai/sdk';
import type { ModelResponse } from './types.ts';

/** Helpers to read a response and to put it back into a conversation. */

export type ToolUse = Extract<Anthropic.ContentBlock, { type: 'tool_use' }>;

export function toolUses(response: Pick<ModelResponse, 'content'>): ToolUse[] {
  return response.content.filter((block): block is ToolUse => block.type === 'tool_use');
}

export function textOf(response: Pick<ModelResponse, 'content'>): string {
  return response.content
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join('\n')
    .trim();
}

/**
 * The response as the assistant turn of the next request: text and tool_use blocks as plain
 * params (the fields a request accepts); thinking blocks keep their signature. Other block kinds
 * (server tools) are not used by the factory and are dropped.
 */
export function assistantTurn(response: Pick<ModelResponse, 'content'>): Anthropic.MessageParam {
  const content: Anthropic.ContentBlockParam[] = [];
  for (const block of response.content) {
    if (block.type === 'text') {
      if (block.text.length > 0) content.push({ type: 'text', text: block.text });
    } else if (block.type === 'tool_use') {
      content.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
    } else if (block.type === 'thinking') {
      content.push({ type: 'thinking', thinking: block.thinking, signature: block.signature });
    }
  }
  return { role: 'assistant', content };
}

export function toolResult(
  toolUseId: string,
  content: string,
  isError = false,
): Anthropic.ToolResultBlockParam {
  return { type: 'tool_result', tool_use_id: toolUseId, content, ...(isError ? { is_error: true } : {}) };
}
