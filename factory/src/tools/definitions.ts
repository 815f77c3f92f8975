import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';

/**
 * The agent's tools, exactly as the model interface names them. Paths are relative to the
 * worktree root. The JSON schemas go to the model; the zod schemas check what comes back (the
 * agent loop and the toolbox validate every input with them).
 */

export const READ_FILE_DEFAULT_LIMIT = 400;
export const READ_FILE_MAX_LIMIT = 2000;

const RelPath = z.string().min(1, 'path must not be empty');

export const ListFilesInputSchema = z.object({ path: z.string().optional() });
export const ReadFileInputSchema = z.object({
  path: RelPath,
  offset: z.number().int().min(1, 'offset is a 1-based line number').optional(),
  limit: z.number().int().min(1).max(READ_FILE_MAX_LIMIT).optional(),
});
export const SearchInputSchema = z.object({
  pattern: z.string().min(1, 'pattern must not be empty'),
  path: z.string().optional(),
});
export const WriteFileInputSchema = z.object({ path: RelPath, content: z.string() });
export const EditFileInputSchema = z.object({
  path: RelPath,
  old_string: z.string().min(1, 'old_string must not be empty (use write_file to create a file)'),
  new_string: z.string(),
});
export const RunInputSchema = z.object({ command: z.string().trim().min(1, 'command must not be empty') });
export const DoneInputSchema = z.object({ summary: z.string().trim().min(1, 'summary must not be empty') });

export const TOOL_INPUT_SCHEMAS = {
  list_files: ListFilesInputSchema,
  read_file: ReadFileInputSchema,
  search: SearchInputSchema,
  write_file: WriteFileInputSchema,
  edit_file: EditFileInputSchema,
  run: RunInputSchema,
  done: DoneInputSchema,
} as const;

export type ToolName = keyof typeof TOOL_INPUT_SCHEMAS;
/** In the order the model sees them. Derived from the schemas: do not duplicate. */
export const TOOL_NAMES = Object.keys(TOOL_INPUT_SCHEMAS) as ToolName[];
export const READ_ONLY_TOOL_NAMES = [
  'list_files',
  'read_file',
  'search',
] as const satisfies readonly ToolName[];

export type ListFilesInput = z.infer<typeof ListFilesInputSchema>;
export type ReadFileInput = z.infer<typeof ReadFileInputSchema>;
export type SearchInput = z.infer<typeof SearchInputSchema>;
export type WriteFileInput = z.infer<typeof WriteFileInputSchema>;
export type EditFileInput = z.infer<typeof EditFileInputSchema>;
export type RunInput = z.infer<typeof RunInputSchema>;
export type DoneInput = z.infer<typeof DoneInputSchema>;

const pathProperty = (description: string) => ({ type: 'string', description }) as const;

export const TOOL_DEFINITIONS: Record<ToolName, Anthropic.Tool> = {
  list_files: {
    name: 'list_files',
    description:
      'List the files (tracked and untracked, not git-ignored) under a directory of the worktree, one path a line. ' +
      'Long listings are cut with a "… N more" line: narrow the path then.',
    input_schema: {
      type: 'object',
      properties: {
        path: pathProperty('Directory or file relative to the worktree root (default: the root).'),
      },
      required: [],
    },
  },
  read_file: {
    name: 'read_file',
    description:
      `Read a text file with line numbers, ${READ_FILE_DEFAULT_LIMIT} lines at a time by default. ` +
      'The header gives the total number of lines; use offset to read further.',
    input_schema: {
      type: 'object',
      properties: {
        path: pathProperty('File relative to the worktree root.'),
        offset: { type: 'integer', minimum: 1, description: 'First line to show (1-based, default 1).' },
        limit: {
          type: 'integer',
          minimum: 1,
          maximum: READ_FILE_MAX_LIMIT,
          description: `How many lines to show (default ${READ_FILE_DEFAULT_LIMIT}).`,
        },
      },
      required: ['path'],
    },
  },
  search: {
    name: 'search',
    description:
      'Search text files for a JavaScript regular expression (no flags, case-sensitive). ' +
      'Prints file:line: text for each match, capped; narrow the path or the pattern when it is cut.',
    input_schema: {
      type: 'object',
      properties: {
        pattern: { type: 'string', description: 'Regular expression source, e.g. export function \\w+' },
        path: pathProperty('Directory or file to search, relative to the worktree root (default: the root).'),
      },
      required: ['pattern'],
    },
  },
  write_file: {
    name: 'write_file',
    description:
      'Create or overwrite a file with the given content (parent directories are created). ' +
      'Only writable, non-protected paths are accepted.',
    input_schema: {
      type: 'object',
      properties: {
        path: pathProperty('File relative to the worktree root.'),
        content: { type: 'string', description: 'The whole new content of the file.' },
      },
      required: ['path', 'content'],
    },
  },
  edit_file: {
    name: 'edit_file',
    description:
      'Replace exactly one occurrence of old_string with new_string in a file. Fails when old_string ' +
      'occurs zero or several times: include more surrounding lines to make it unique.',
    input_schema: {
      type: 'object',
      properties: {
        path: pathProperty('File relative to the worktree root.'),
        old_string: { type: 'string', description: 'Exact text to replace (whitespace matters).' },
        new_string: { type: 'string', description: 'Replacement text.' },
      },
      required: ['path', 'old_string', 'new_string'],
    },
  },
  run: {
    name: 'run',
    description:
      "Run one command in the worktree, in a sandbox without network. Only the mission's validate commands " +
      '(optionally followed by file paths) and read-only git (diff, status, log, show, ls-files, grep, ' +
      'rev-parse, blame) are allowed; no shell: no pipes, redirects, globs, variables or `&&`. ' +
      'Prints the exit code and the output (long output is cut in the middle).',
    input_schema: {
      type: 'object',
      properties: { command: { type: 'string', description: 'e.g. "pnpm typecheck" or "git diff --stat"' } },
      required: ['command'],
    },
  },
  done: {
    name: 'done',
    description:
      'Finish this step. Call it once the change is complete and the validate commands pass; ' +
      'other tool calls in the same reply run first.',
    input_schema: {
      type: 'object',
      properties: {
        summary: { type: 'string', description: 'What was changed and why, in a few sentences.' },
      },
      required: ['summary'],
    },
  },
};

/** The definitions of the named tools, in the given order. */
export function toolDefinitions(names: readonly ToolName[]): Anthropic.Tool[] {
  return names.map((name) => TOOL_DEFINITIONS[name]);
}
