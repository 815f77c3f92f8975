import { InputError } from '../errors.ts';

export interface FrontMatter {
  data: Record<string, string>;
  /** Index (0-based) of the first line after the closing `---`. */
  bodyStart: number;
}

/**
 * A deliberately small front matter reader for flat `key: value` YAML: bare values, `"double"`
 * (JSON escapes) and `'single'` (`''` escape) quoted strings, `#` comment lines. Nested YAML is
 * rejected with the line number instead of being half-read. Returns null when the text has none.
 */
export function parseFrontMatter(lines: readonly string[]): FrontMatter | null {
  if (lines[0]?.trim() !== '---') return null;
  const data: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    if (line.trim() === '---') return { data, bodyStart: i + 1 };
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const m = /^([A-Za-z_][\w-]*)\s*:(?:\s+(.*))?$/.exec(line.trimEnd());
    if (!m)
      throw new InputError(`front matter line ${lineNo}: expected 'key: value', got '${line}'`, {
        line: lineNo,
      });
    data[m[1]!] = parseScalar(m[2] ?? '', lineNo);
  }
  throw new InputError("front matter is not closed: no '---' line after the opening one", { line: 1 });
}

function parseScalar(raw: string, lineNo: number): string {
  const v = raw.trim();
  if (v.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (typeof parsed === 'string') return parsed;
    } catch {
      // fall through to the error below
    }
    throw new InputError(`front matter line ${lineNo}: badly quoted string ${v}`, { line: lineNo });
  }
  if (v.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'$/.exec(v);
    if (m) return m[1]!.replace(/''/g, "'");
    throw new InputError(`front matter line ${lineNo}: badly quoted string ${v}`, { line: lineNo });
  }
  // A bare value ends at a ` #` comment, as in YAML.
  return v.replace(/\s+#.*$/, '');
}
