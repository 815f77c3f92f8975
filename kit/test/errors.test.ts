import { describe, expect, it } from 'vitest';
import { DarkFactoryError, errorMessage, oneLine } from '../src/index.ts';

type ShelfCode = 'empty' | 'full';
class ShelfError extends DarkFactoryError<ShelfCode> {}
class FullShelfError extends ShelfError {
  constructor(readonly slots: number) {
    super('full', `the shelf holds ${slots} books`, { slots });
  }
}

describe('DarkFactoryError', () => {
  it('carries code, message, context and cause, and names the subclass', () => {
    const cause = new Error('disk');
    const err = new ShelfError('empty', 'nothing on the shelf', { shelf: 3 }, { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(DarkFactoryError);
    expect(err.name).toBe('ShelfError');
    expect(err.code).toBe('empty');
    expect(err.message).toBe('nothing on the shelf');
    expect(err.context).toEqual({ shelf: 3 });
    expect(err.cause).toBe(cause);
    expect(String(err)).toBe('ShelfError: nothing on the shelf');
    expect(err.stack).toContain('errors.test.ts');
  });

  it('gives a subclass of a subclass its own name, and an empty context by default', () => {
    const err = new FullShelfError(12);
    expect(err).toBeInstanceOf(ShelfError);
    expect(err.name).toBe('FullShelfError');
    expect(err).toMatchObject({ code: 'full', slots: 12, context: { slots: 12 } });
    expect(new ShelfError('empty', 'x').context).toEqual({});
    expect(new ShelfError('empty', 'x').cause).toBeUndefined();
  });
});

describe('errorMessage and oneLine', () => {
  it('reads the message of anything thrown', () => {
    expect(errorMessage(new TypeError('bad type'))).toBe('bad type');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('folds a multi-line message into one line', () => {
    expect(oneLine('invalid input:\n  ✖ expected string\n    → at name\n')).toBe(
      'invalid input: ✖ expected string → at name',
    );
    expect(oneLine('one line')).toBe('one line');
  });
});
