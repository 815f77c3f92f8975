import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/scripted/scenario.ts';

const readme = new URL('../README.md', import.meta.url);
const demo = new URL('../scenarios/demo.json', import.meta.url);

describe('factory/README.md', () => {
  it('documents the scenario format with the demo scenario exactly as the demo and test (a) replay it', async () => {
    const text = await readFile(readme, 'utf8');
    const example = /\*\*Example\*\*[\s\S]*?```json\n([\s\S]*?)\n```/.exec(text)?.[1];
    expect(example, 'the README has a ```json example after **Example**').toBeDefined();
    const documented = parseScenario(JSON.parse(example ?? ''), 'README example');
    const replayed = parseScenario(JSON.parse(await readFile(demo, 'utf8')), 'demo.json');
    expect(documented).toEqual(replayed);
  });
});
