import { describe, expect, it } from 'vitest';
import {
  judgeEvidence,
  REFUSAL_ANSWER,
  refusalOutput,
  statsFromHits,
  uncoveredNames,
} from '../src/answer/decide.ts';
import { analyseQuestion, questionKinds, subjectText } from '../src/answer/question.ts';
import { bestThreshold, leaveOneOut, shouldRefuse, thresholdSweep } from '../src/answer/refusal.ts';
import { assessSupport, DEFAULT_SUPPORT, type TermStats } from '../src/answer/support.ts';
import { spelledDigit } from '../src/retrieve/oov.ts';
import { makeHit, pivHits } from './answer-fixtures.ts';

/** Corpus statistics from a table of chunk counts, as the BM25 index reports them. */
function corpus(df: Record<string, number>, size = 5000): TermStats {
  return { size, df: (t) => df[t] ?? 0, terms: () => Object.keys(df) };
}

// A corpus where "agent" and "build" are everywhere and names are rare.
const STATS = corpus({
  agent: 3500,
  build: 2200,
  ai: 3000,
  rust: 4,
  python: 500,
  web: 600,
  server: 650,
  claud: 750,
  opu: 60,
  5: 100,
  piv: 50,
  loop: 450,
  three: 400,
  stage: 100,
  git: 100,
  worktre: 1,
  work: 2000,
  tree: 90,
  parallel: 200,
});

describe('analyseQuestion', () => {
  it('reads the kind of answer wanted', () => {
    expect(questionKinds('What is Archon?')).toContain('definition');
    expect(questionKinds('What are the three stages of the PIV loop?')[0]).toBe('list');
    expect(questionKinds('How do I set up a webhook trigger in n8n?')[0]).toBe('steps');
    expect(questionKinds('What is the difference between semantic and keyword search?')[0]).toBe(
      'comparison',
    );
    expect(questionKinds('What does Cole think about Rust for web servers?')).toContain('opinion');
    expect(questionKinds('Why does Cole prefer Pydantic AI?')).toContain('reason');
  });

  it('marks capitalised names as entities and binds versions to their name', () => {
    const a = analyseQuestion('What did Cole say about Claude 5 Opus?');
    const byTerm = new Map(a.subject.map((t) => [t.term, t]));
    expect(byTerm.get('claud')).toMatchObject({ entity: true, surface: 'Claude 5 Opus' });
    expect(byTerm.get('5')).toMatchObject({ entity: false, boundTo: ['claud', 'opu'] });
    expect(
      analyseQuestion('What did Cole say about GPT-5.3 being AGI?').subject.find((t) => t.term === '5.3'),
    ).toMatchObject({ boundTo: ['gpt'], surface: 'GPT-5.3' });
    // Frame words and sentence-initial capitals are not the subject.
    const b = analyseQuestion('How does Cole use git worktrees?');
    expect(b.subject.map((t) => t.term)).toEqual(['git', 'worktre']);
    expect(b.subject.every((t) => !t.entity)).toBe(true);
    // A plural acronym is a kind of thing, not a name the videos must repeat; the singular stays a name.
    const c = analyseQuestion('How do you run open-source LLMs without buying GPUs, and is PIV worth it?');
    const byTermC = new Map(c.subject.map((t) => [t.term, t]));
    expect(byTermC.get('llm')).toMatchObject({ entity: false });
    expect(byTermC.get('gpu')).toMatchObject({ entity: false });
    expect(byTermC.get('piv')).toMatchObject({ entity: true });
  });

  it("reads a how-to's set-up as the kind of answer, not its subject, and searches without it", () => {
    expect(subjectText('How do I set up a webhook trigger in n8n?')).toBe(
      'How do I a webhook trigger in n8n?',
    );
    expect(subjectText('how to setup Supabase locally')).toBe('how to Supabase locally');
    const a = analyseQuestion('How do I set up a webhook trigger in n8n?');
    expect(a.kinds[0]).toBe('steps');
    expect(a.subject.map((t) => t.term)).toEqual(['webhook', 'trigger', 'n8n']);
    // A set-up that is the subject stays: not a how-to's frame.
    expect(subjectText('What camera and lighting setup does Cole use?')).toBe(
      'What camera and lighting setup does Cole use?',
    );
    expect(
      analyseQuestion('What is the setup of the local AI package?').subject.map((t) => t.term),
    ).toContain('setup');
  });
});

describe('assessSupport', () => {
  const rustInPassing = [
    makeHit('acp00000001', 'This New Protocol Will Change AI Coding', [
      [
        0,
        'i give the agent a task to create three hello world files one in rust one in go and one in python',
      ],
      [15, 'and the agent builds all three files in one sweep'],
    ]),
    makeHit('tpl00000001', 'A Complete Guide to Claude Code', [
      [300, 'we have templates for building agents or building next.js apps or rust applications'],
    ]),
  ];

  it('does not take a name said in passing as evidence', () => {
    const d = assessSupport(
      analyseQuestion('What did Cole recommend for building AI agents in Rust?'),
      rustInPassing,
      STATS,
    );
    expect(d.answer).toBe(false);
    expect(d.strength).toBe(0);
    expect(d.missing.map((t) => t.surface)).toContain('Rust');
  });

  it('answers when the names are the subject of the moments', () => {
    const rustVideo = [
      makeHit('rust0000001', 'Building AI Agents in Rust', [
        [0, 'rust is my pick for agents that have to be fast and rust makes the agent loop safe'],
        [15, 'so to build an agent in rust you start with the tool trait'],
      ]),
    ];
    const d = assessSupport(
      analyseQuestion('What did Cole recommend for building AI agents in Rust?'),
      rustVideo,
      STATS,
    );
    expect(d.answer).toBe(true);
    expect(d.videos[0]!.mentions.get('rust')).toBeGreaterThanOrEqual(DEFAULT_SUPPORT.entityMentions);
  });

  it('requires the terms together in one video, not spread across videos', () => {
    const spread = [
      makeHit('aaaaaaaaaaa', 'A', [[0, 'git is how i keep history and git commits are memory']]),
      makeHit('bbbbbbbbbbb', 'B', [[0, 'parallel agents work well in parallel on big tasks']]),
    ];
    const together = [
      makeHit('ccccccccccc', 'C', [
        [0, 'git work trees let parallel agents each have a copy, git work trees are great in parallel'],
      ]),
    ];
    const q = analyseQuestion('How does Cole use git worktrees to run agents in parallel?');
    expect(assessSupport(q, together, STATS).strength).toBeGreaterThan(
      assessSupport(q, spread, STATS).strength,
    );
    // "work trees" in speech is the question's "worktrees".
    expect(assessSupport(q, together, STATS).videos[0]!.mentions.get('worktre')).toBe(2);
  });

  it('counts a version only next to its name', () => {
    const q = analyseQuestion('What did Cole say about Claude 5 Opus?');
    const opus45 = [
      makeHit('opus0000001', 'Claude Opus 4.5 Is Here', [
        [0, 'claude opus 4.5 is out and opus 4.5 is great, top 5 model for claude code'],
      ]),
    ];
    expect(assessSupport(q, opus45, STATS).answer).toBe(false);
    const opus5 = [
      makeHit('opus0000005', 'Claude 5 Opus Review', [
        [0, 'claude 5 opus is out and i tested claude 5 opus all day'],
      ]),
    ];
    expect(assessSupport(q, opus5, STATS).answer).toBe(true);
  });

  it('counts a name in the spelling the corpus mostly uses (speech recognition), not only the rare right one', () => {
    const stats = corpus({ supabas: 40, superbas: 300, postgr: 2, postgress: 99, differ: 400 });
    const hits = [
      makeHit('sb000000001', 'RAG Agent with n8n + Supabase', [
        [0, 'superbase gives you postgress with authentication and storage on top'],
        [15, 'using postgress with superbase is the way to make it scalable'],
        [30, 'plain postgress you host and manage yourself, superbase does that for you'],
      ]),
    ];
    const question = analyseQuestion('What is the difference between Supabase and Postgres?');
    const d = assessSupport(question, hits, stats);
    expect(d.answer).toBe(true);
    // Without the usual spelling in the corpus statistics, "Postgres" is only a stray name.
    const stray = assessSupport(
      question,
      hits,
      corpus({ supabas: 40, superbas: 300, postgr: 2, differ: 400 }),
    );
    expect(stray.answer).toBe(false);
  });

  it('counts a name in the video title', () => {
    const q = analyseQuestion('What are the three stages of the PIV loop?');
    const hits = [
      makeHit('piv1234567a', 'The PIV Loop', [[0, 'the loop has three stages plan implement validate']]),
    ];
    expect(assessSupport(q, hits, STATS).videos[0]!.mentions.get('piv')).toBe(DEFAULT_SUPPORT.titleMentions);
    expect(assessSupport(q, hits, STATS).answer).toBe(true);
  });
});

describe('names a question gives as examples, aliases or makers', () => {
  const names = (q: string) =>
    analyseQuestion(q)
      .subject.filter((t) => t.entity)
      .map((t) => `${t.term}${t.optional ? '?' : ''}${t.aliases?.length ? `=${t.aliases.join('+')}` : ''}`);

  it('marks examples and alternatives optional, but not the sides of a comparison', () => {
    expect(names('Why does Cole prefer LiveKit over voice platforms like Vapi or Bland?')).toEqual([
      'livekit',
      'vapi?',
      'bland?',
    ]);
    expect(names('How do I build skills into my agent, for example with Pydantic AI?')).toEqual([
      'pydant?',
      'ai?',
    ]);
    expect(names('How does he combine Bolt.new or oTToDev?')).toEqual(['bolt', 'new', 'ottodev?']);
    expect(names('What is the difference between Kafka and RabbitMQ?')).toEqual(['kafka', 'rabbitmq']);
    expect(names('What does Cole think of Mastra compared to Pydantic AI?')).toEqual([
      'mastra',
      'pydant',
      'ai',
    ]);
    // A name asked about and also given as an example stays required.
    expect(names('How does Claude Code compare to tools like Claude Desktop?')).toEqual([
      'claud',
      'code',
      'desktop?',
    ]);
  });

  it('reads a name in parentheses as another name for the one before it', () => {
    expect(names('What is the Agent2Agent (A2A) protocol?')).toEqual(['agent2agent=a2a', 'a2a?']);
    expect(names('What does Cole think of Letta (formerly MemGPT)?')).toEqual(['letta=memgpt', 'memgpt?']);
  });

  it("drops a maker's name before a named thing, and a -style suffix", () => {
    expect(names("What is Vercel's agent-browser CLI?")).toEqual(['vercel?', 'cli']);
    expect(names("What did Cole say about Stripe's coding agents?")).toEqual(['stripe']);
    expect(names('Does Cole recommend ColBERT-style retrieval?')).toEqual(['colbert']);
  });

  it('does not require an optional name, and accepts either name of an aliased pair', () => {
    const hits = [
      makeHit('livekit0001', 'Voice Agents with LiveKit', [
        [
          0,
          'livekit is open source and livekit agents run anywhere, livekit cloud too, voice platforms cost more',
        ],
      ]),
      makeHit('a2a00000001', 'The A2A Protocol', [
        [0, 'the a2a protocol lets agents talk, a2a cards, a2a tasks'],
      ]),
    ];
    const stats = corpus({
      livekit: 20,
      vapi: 2,
      bland: 10,
      voic: 100,
      platform: 500,
      a2a: 30,
      protocol: 90,
    });
    expect(
      assessSupport(analyseQuestion('Why LiveKit over voice platforms like Vapi or Bland?'), hits, stats)
        .answer,
    ).toBe(true);
    expect(
      assessSupport(analyseQuestion('Why LiveKit over voice platforms, Vapi and Bland?'), hits, stats).answer,
    ).toBe(false);
    const a2a = assessSupport(analyseQuestion('What is the Agent2Agent (A2A) protocol?'), hits, stats);
    expect(a2a.videos[0]!.unmetEntities).toEqual([]);
    expect(a2a.answer).toBe(true);
  });

  it('matches a name whose last digit speech recognition spells out ("Mem0" said "mem zero")', () => {
    expect(spelledDigit('mem0')).toBe('memzero');
    expect(spelledDigit('gpt')).toBeNull();
    const hits = [
      makeHit('mem00000001', 'Agent Memory', [
        [0, 'mem zero stores memories, mem zero retrieves them, with mem zero'],
      ]),
    ];
    const q = analyseQuestion('What is Mem0 and how does it store memories?');
    const support = assessSupport(q, hits, corpus({ mem: 3, zero: 40, store: 300, memori: 300 }));
    expect(support.videos[0]!.mentions.get('mem0')).toBe(3);
    expect(support.answer).toBe(true);
  });
});

describe('refusalOutput', () => {
  it('names what the videos lack, cites nothing, and points at what is close', () => {
    const hits = [
      makeHit('mcp00000001', 'The 3 MUST Have MCP Servers', [
        [500, 'these web servers give your agent the web and the servers run locally on your web stack'],
      ]),
    ];
    const verdict = judgeEvidence('What does Cole think about Rust for web servers?', hits, STATS);
    expect(verdict.support.answer).toBe(false);
    const out = refusalOutput(verdict);
    expect(out.refused).toBe(true);
    expect(out.citations).toEqual([]);
    expect(out.answer.split('\n')[0]).toBe("The videos don't cover Rust.");
    expect(out.answer).toContain('“The 3 MUST Have MCP Servers” at 8:20');
    expect(out.answer).toContain('https://youtu.be/mcp00000001?t=500');
  });

  it('names only what the videos lack: not a name another video treats, not a name the corpus says often', () => {
    const stats = corpus({ agent: 3500, deploy: 300, pydant: 8, typescript: 41, framework: 400 });
    const hits = [
      makeHit('deploy00001', 'Deploy Your Agents', [
        [10, 'deploy the agent to the cloud and deploy it again with the framework'],
      ]),
      makeHit('pydantic001', 'Pydantic AI Agents', [
        [40, 'pydantic ai is my framework, pydantic ai agents, pydantic ai tools and more pydantic ai'],
      ]),
    ];
    const q = 'How do I deploy a Mastra agent in TypeScript, compared to Pydantic AI?';
    const verdict = judgeEvidence(q, hits, stats);
    expect(verdict.support.answer).toBe(false);
    // Mastra: never said. Pydantic AI: a retrieved video treats it. TypeScript: said in 41 chunks.
    expect(uncoveredNames(verdict)).toEqual(['Mastra']);
    expect(refusalOutput(verdict).answer.split('\n')[0]).toBe("The videos don't cover Mastra.");
    // A name spelled with a suffix is named without it.
    const colbert = judgeEvidence('Does Cole recommend ColBERT-style retrieval?', hits, stats);
    expect(uncoveredNames(colbert)).toEqual(['ColBERT']);
  });

  it('says the plain refusal when nothing was retrieved', () => {
    expect(refusalOutput(null)).toEqual({ answer: REFUSAL_ANSWER, refused: true, citations: [] });
    expect(refusalOutput(judgeEvidence('What is Rust?', [], STATS)).answer).toBe(REFUSAL_ANSWER);
  });

  it('works on the hits alone when no corpus statistics are given', () => {
    const v = judgeEvidence('What are the three stages of the PIV loop?', pivHits(), null);
    expect(v.support.answer).toBe(true);
    expect(statsFromHits(pivHits()).df('piv')).toBe(3);
  });
});

describe('threshold measurement', () => {
  const cases = [
    { answerable: true, strength: 0.9 },
    { answerable: true, strength: 0.7 },
    { answerable: true, strength: 0.55 },
    { answerable: false, strength: 0.4 },
    { answerable: false, strength: 0 },
    { answerable: false, strength: 0.6 },
  ];
  const candidates = [0.3, 0.45, 0.5, 0.65, 0.8];

  it('refuses below the threshold only', () => {
    expect(shouldRefuse(0.5, 0.5)).toBe(false);
    expect(shouldRefuse(0.499, 0.5)).toBe(true);
  });

  it('scores each candidate and picks the middle of the best plateau', () => {
    const sweep = thresholdSweep(cases, candidates);
    expect(sweep.find((s) => s.threshold === 0.5)).toMatchObject({ answeredRate: 1, refusedRate: 2 / 3 });
    expect(bestThreshold(sweep)?.threshold).toBe(0.5);
  });

  it('judges each case with a threshold tuned without it', () => {
    const loo = leaveOneOut(cases, candidates);
    expect(loo.thresholds).toHaveLength(cases.length);
    expect(loo.correct).toBeLessThanOrEqual(5);
    expect(loo.answeredRate).toBeGreaterThan(0);
  });
});
