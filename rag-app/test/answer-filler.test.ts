import { describe, expect, it } from 'vitest';
import { framingKind, isSponsorCue, sponsorMask } from '../src/answer/filler.ts';

describe('talk around the content', () => {
  it("marks the channel's framing, asks for comments included, and leaves content alone", () => {
    expect(framingKind('so I would really appreciate if you leave a comment letting me know')).toBe('meta');
    expect(framingKind('tell me what you think in the comments')).toBe('meta');
    expect(framingKind('link in the description and welcome back')).toBe('meta');
    expect(framingKind('as you can see right here the node is green')).toBe('demo');
    expect(framingKind('PIV is short for plan, implement, validate')).toBeNull();
    // "comment" as code is content.
    expect(framingKind('add a comment to the function so the agent knows why')).toBeNull();
  });

  it('marks a sponsor read from its cue until it ends, and not a denial', () => {
    expect(isSponsorCue('Cloudflare is not sponsoring this video, I just like it')).toBe(false);
    const units = [
      { start: 0, text: 'the agent reads the repo' },
      { start: 10, text: 'this video is sponsored by Acme, use code COLE' },
      { start: 20, text: 'acme gives you servers' },
      { start: 30, text: "anyway, let's get back to the agent" },
      { start: 40, text: 'the agent writes a plan' },
    ];
    expect(sponsorMask(units)).toEqual([false, true, true, false, false]);
  });

  it('ends a sponsor read at its call to action, so the content after it counts', () => {
    const units = [
      { start: 0, text: "The sponsor of today's video is Scribba, a coding education platform" },
      { start: 8, text: 'you can edit the code live' },
      {
        start: 16,
        text: 'Plus, with the link in the description, you can get a 20% discount on their pro subscription.',
      },
      { start: 21, text: 'the best example of this is Claude Code.' },
    ];
    expect(sponsorMask(units)).toEqual([true, true, true, false]);
  });
});
