import { describe, expect, it } from 'vitest';
import { answerSentences, clauseParts, cutMidClause } from '../src/metrics/clause.ts';

describe('clauseIntegrity', () => {
  it('splits an answer into sentences at markers and punctuation, skipping layout', () => {
    const answer =
      'PIV is short for plan, implement, validate. [1]\n\nFrom “My Workflow”:\n- the plan comes first [2]\n1. then you build it [3][4]';
    expect(answerSentences(answer)).toEqual([
      'PIV is short for plan, implement, validate.',
      'the plan comes first',
      'then you build it',
    ]);
  });

  it('calls a sentence cut when it ends on a word that needs more, or marks its own cut', () => {
    expect(cutMidClause("they're all available to you it's.")).toBe(true);
    expect(cutMidClause('we give it to the')).toBe(true);
    expect(cutMidClause('the plan is what we hand to the agent…')).toBe(true);
    expect(cutMidClause('the plan is what we hand to the agent')).toBe(false);
    expect(cutMidClause('that is all there is to it.')).toBe(false);
  });

  it('lets a particle, an auxiliary or "that" end a sentence the speaker closed, never an article or a contraction', () => {
    expect(cutMidClause("So I'll send this in.")).toBe(false);
    expect(cutMidClause("let's get into what the heck Ralph Wiggum actually is.")).toBe(false);
    expect(cutMidClause('what is our database going to be?')).toBe(false);
    expect(cutMidClause("We'll get into all that.")).toBe(false);
    // Without the closing punctuation the clause is still open.
    expect(cutMidClause('and so I can have Cloud Code help me with')).toBe(true);
    expect(cutMidClause('the first thing that')).toBe(true);
    // A period does not close what cannot end a clause.
    expect(cutMidClause("they're all available to you it's.")).toBe(true);
    expect(cutMidClause('we hand it to the.')).toBe(true);
    expect(cutMidClause('you want to look at it and.')).toBe(true);
  });

  it('counts only answered ask cases', () => {
    expect(
      clauseParts({ call: 'ask', refused: false, answer: 'a full clause here [1] and then the [2]' }),
    ).toEqual([1, 2]);
    expect(clauseParts({ call: 'ask', refused: true, answer: "The videos don't cover this." })).toEqual([
      0, 0,
    ]);
    expect(clauseParts({ call: 'search' })).toEqual([0, 0]);
  });
});
