/**
 * The shapes of a conversation as the API returns them: types only, so the web client shares them
 * without any server code reaching its bundle.
 */
import type { AskResult } from '../types.ts';

export interface Conversation {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
}

export interface Message {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  result: AskResult | null;
  createdAt: string;
}
