/**
 * The repository's plumbing, checked statically (no Docker engine, no GitHub here): every workflow
 * calls scripts and commands that exist, pins its actions by commit and declares its permissions;
 * docker-compose.yml names contexts, Dockerfiles, env vars, commands and ports that exist; the
 * issue templates are the forms the triage parser reads, and triage sees their fields.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../src/cli/main.ts';
import { BudgetGuard } from '../src/model/budget.ts';
import { AnthropicModelClient } from '../src/model/client.ts';
import { PolicySchema } from '../src/policy/schema.ts';
import { type ScriptedModelServer, startScriptedModelServer } from '../src/scripted/server.ts';
import { ISSUE_FORMS, markdownSections, parseIssueForm, renderIssueForm } from '../src/steps/issue-form.ts';
import { triageIssue, triageStopReason } from '../src/steps/triage.ts';
import { REPO_ROOT } from './support/gate-fixture.ts';

const root = REPO_ROOT;
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
type Yaml = Record<string, unknown>;
const yaml = (p: string) => parseYaml(read(p), { merge: true }) as Yaml;
const asRecord = (v: unknown): Yaml => (v && typeof v === 'object' ? (v as Yaml) : {});

/** The factory CLI's commands, from the program itself (in-process; nothing runs). */
const factoryCommands = new Set(
  buildProgram({ out: () => undefined, err: () => undefined } as never).commands.map((c) => c.name()),
);
const rootScripts = new Set(Object.keys(JSON.parse(read('package.json')).scripts as Record<string, string>));
/** pnpm's own commands that a workflow may call besides the package's scripts. */
const PNPM_BUILTINS = new Set(['install', 'exec', 'run', 'dlx', 'add', 'store', '--version']);

/** Source the code reads its environment in: every env var a workflow or compose names must occur here. */
const codeText = (() => {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(root, dir))) {
      const rel = path.join(dir, name);
      if (name === 'node_modules' || name === 'test') continue;
      if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
      else if (/\.(ts|sh)$/.test(name) || rel === path.join('.ci', 'run')) texts.push(read(rel));
    }
  };
  for (const dir of ['factory/src', 'forge/src', 'rag-app/src', 'evals/src', 'scripts', '.ci']) walk(dir);
  texts.push(read('Dockerfile'));
  return texts.join('\n');
})();
const readByCode = (name: string) => new RegExp(`\\b${name}\\b`).test(codeText);

interface Call {
  kind: 'pnpm' | 'factory' | 'file';
  name: string;
  line: string;
}

/** The scripts and commands a shell snippet calls: `pnpm <script>`, `pnpm factory <cmd>`, `bash scripts/x`. */
function callsIn(script: string): Call[] {
  const calls: Call[] = [];
  for (const raw of script.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    for (const m of line.matchAll(/\bpnpm((?:\s+--?[a-z-]+)*)\s+([a-z][\w:-]*)(?:\s+([a-z][\w-]*))?/g)) {
      const [, , name, sub] = m;
      if (name === 'factory') calls.push({ kind: 'factory', name: sub ?? '', line: raw.trim() });
      else calls.push({ kind: 'pnpm', name: name!, line: raw.trim() });
    }
    for (const m of line.matchAll(/(?:^|[\s;&|(])(?:bash\s+|sh\s+|\.\/)?((?:scripts|\.ci)\/[\w./-]+)/g)) {
      calls.push({ kind: 'file', name: m[1]!, line: raw.trim() });
    }
  }
  return calls;
}

function expectCallsExist(calls: Call[], where: string): void {
  for (const call of calls) {
    const at = `${where}: ${call.line}`;
    if (call.kind === 'factory')
      expect(factoryCommands.has(call.name), `${at} (factory ${call.name})`).toBe(true);
    else if (call.kind === 'pnpm')
      expect(rootScripts.has(call.name) || PNPM_BUILTINS.has(call.name), `${at} (pnpm ${call.name})`).toBe(
        true,
      );
    else expect(existsSync(path.join(root, call.name)), `${at} (${call.name})`).toBe(true);
  }
}

describe('workflows', () => {
  const dir = '.github/workflows';
  const files = readdirSync(path.join(root, dir)).filter((f) => /\.ya?ml$/.test(f));

  it('are the ones we expect', () => {
    expect(files.sort()).toEqual(['ci.yml', 'evals.yml', 'factory.yml']);
  });

  for (const file of files) {
    describe(file, () => {
      const text = read(`${dir}/${file}`);
      const wf = yaml(`${dir}/${file}`);
      const jobs = Object.entries(asRecord(wf.jobs));

      it('declares its permissions (top level, or on every job)', () => {
        const top = wf.permissions;
        expect(top !== undefined || jobs.every(([, j]) => asRecord(j).permissions !== undefined)).toBe(true);
        // Never the blanket grants.
        expect(text).not.toMatch(/permissions:\s*(write-all|read-all)/);
      });

      it('pins every action by a full commit sha, with the version as a comment', () => {
        const uses = [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)];
        expect(uses.length).toBeGreaterThan(0);
        for (const [, ref, rest] of uses) {
          if (ref!.startsWith('./')) continue;
          expect(ref, `${file}: ${ref}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
          expect(rest, `${file}: ${ref} has a # vX.Y.Z comment`).toMatch(/#\s*v\d+(\.\d+){0,2}\b/);
        }
      });

      it('calls only scripts, package scripts and factory commands that exist', () => {
        let runs = 0;
        for (const [jobName, job] of jobs) {
          for (const step of (asRecord(job).steps as Yaml[] | undefined) ?? []) {
            if (typeof step.run !== 'string') continue;
            runs++;
            expectCallsExist(callsIn(step.run), `${file} ${jobName}`);
          }
        }
        expect(runs).toBeGreaterThan(0);
      });

      it('sets only env vars that the code or the step reads', () => {
        for (const [jobName, job] of jobs) {
          for (const name of Object.keys(asRecord(asRecord(job).env))) {
            expect(readByCode(name), `${file} ${jobName}: job env ${name}`).toBe(true);
          }
          for (const step of (asRecord(job).steps as Yaml[] | undefined) ?? []) {
            for (const name of Object.keys(asRecord(step.env))) {
              const own = typeof step.run === 'string' && step.run.includes(`$${name}`);
              expect(own || readByCode(name), `${file} ${jobName}: step env ${name}`).toBe(true);
            }
          }
        }
      });
    });
  }

  it('ci.yml keeps the watch page screenshots of scenario (a) as an artifact, pass or fail', () => {
    // Where the Chromium check writes them (factory/test/scenario-merge.test.ts's SHOTS).
    const scenario = read('factory/test/scenario-merge.test.ts');
    const shots = /path\.join\(REPO_ROOT, ((?:'[^']+', )*'[^']+')\)/.exec(
      scenario.split('\n').find((l) => l.includes('const SHOTS')) ?? '',
    )?.[1];
    expect(shots, 'scenario-merge.test.ts names SHOTS').toBeDefined();
    const dir = `${shots!
      .split(', ')
      .map((p) => p.slice(1, -1))
      .join('/')}/`;
    const ci = asRecord(asRecord(yaml('.github/workflows/ci.yml').jobs).test);
    const steps = (ci.steps as Yaml[] | undefined) ?? [];
    const upload = steps.find((s) => String(s.uses ?? '').startsWith('actions/upload-artifact@'));
    expect(upload, 'ci.yml has an upload-artifact step').toBeDefined();
    expect(upload?.if).toBe('always()');
    expect(asRecord(upload?.with).path).toBe(dir);
    // After the tests, which make them.
    expect(steps.indexOf(upload!)).toBeGreaterThan(steps.findIndex((s) => s.run === 'bash .ci/run'));
  });

  it('factory.yml: issue events, comments and a schedule; one workflow per issue; least privilege; the secrets', () => {
    const wf = yaml(`${dir}/factory.yml`);
    const on = asRecord(wf.on);
    expect(asRecord(on.issues).types).toEqual(['opened', 'edited', 'reopened']);
    expect(asRecord(on.issue_comment).types).toEqual(['created']);
    expect(Array.isArray(on.schedule) && on.schedule.length > 0).toBe(true);
    expect(wf.permissions).toEqual({});
    const concurrency = asRecord(wf.concurrency);
    expect(String(concurrency.group)).toContain('github.event.issue.number');
    expect(concurrency['cancel-in-progress']).toBe(false);
    const job = asRecord(asRecord(wf.jobs).factory);
    expect(job.permissions).toEqual({
      contents: 'write',
      'pull-requests': 'write',
      issues: 'write',
      checks: 'read',
      statuses: 'read',
    });
    // bubblewrap needs the same namespaces as ci.yml's container.
    expect(asRecord(job.container).options).toBe(
      asRecord(asRecord(asRecord(yaml(`${dir}/ci.yml`).jobs).test).container).options,
    );
    const text = read(`${dir}/factory.yml`);
    for (const secret of [
      'ANTHROPIC_API_KEY',
      'FACTORY_DATABASE_URL',
      'FACTORY_APP_PRIVATE_KEY',
      'FACTORY_GITHUB_TOKEN',
    ]) {
      expect(text).toContain(`secrets.${secret}`);
    }
    expect(text).toContain('vars.ANTHROPIC_BASE_URL');
    const runs = ((job.steps as Yaml[]) ?? []).map((s) => String(s.run ?? '')).join('\n');
    expect(
      callsIn(runs)
        .filter((c) => c.kind === 'factory')
        .map((c) => c.name),
    ).toEqual(expect.arrayContaining(['poll', 'worker', 'enqueue']));
  });

  it('the policy the workflows run under validates: mission.md sandbox boundary and checks', () => {
    const front = /^---\n([\s\S]*?)\n---/.exec(read('mission.md'))?.[1] ?? '';
    const policy = PolicySchema.parse(parseYaml(front));
    expect(['bubblewrap', 'container']).toContain(policy.sandbox.boundary);
    expect(policy.checks.waitMinutes).toBeGreaterThan(0);
  });
});

describe('docker-compose.yml', () => {
  const compose = yaml('docker-compose.yml');
  const services = asRecord(compose.services);
  const service = (name: string) => asRecord(services[name]);
  const commandOf = (s: Yaml): string[] =>
    [s.entrypoint, s.command].flatMap((c) =>
      Array.isArray(c) ? c.map(String) : typeof c === 'string' ? [c] : [],
    );
  const dockerfile = read('Dockerfile');

  it('runs PostgreSQL with pgvector, rag-app, the factory server and a scalable factory worker', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        'db',
        'rag-app',
        'factory-server',
        'factory-worker',
        'factory-poller',
        'factory',
      ]),
    );
    expect(service('db').image).toMatch(/^pgvector\/pgvector:/);
    const worker = service('factory-worker');
    // `--scale factory-worker=3`: no fixed name, no host port, its own clone and worktrees.
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(asRecord(asRecord(worker.depends_on).db).condition).toBe('service_healthy');
    expect(asRecord(worker.environment).DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@db:5432\//);
    // The command sandbox: bubblewrap needs what ci.yml's container gets.
    expect(worker.security_opt).toEqual(['seccomp=unconfined', 'apparmor=unconfined']);
    expect(worker.cap_add).toEqual(['SYS_ADMIN']);
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bbubblewrap\b[^\n]*\bgit\b/);
  });

  it('builds contexts and Dockerfiles that exist; named volumes are declared', () => {
    const volumes = new Set(Object.keys(asRecord(compose.volumes)));
    for (const [name, raw] of Object.entries(services)) {
      const s = asRecord(raw);
      if (s.build !== undefined) {
        const build = asRecord(s.build);
        const context = path.join(root, String(build.context ?? '.'));
        expect(existsSync(context), `${name}: context ${context}`).toBe(true);
        expect(
          existsSync(path.join(context, String(build.dockerfile ?? 'Dockerfile'))),
          `${name}: dockerfile`,
        ).toBe(true);
      } else {
        expect(typeof s.image, `${name} has a build or an image`).toBe('string');
      }
      for (const v of (s.volumes as string[] | undefined) ?? []) {
        const source = v.split(':')[0]!;
        if (!/[/$.]/.test(source)) expect(volumes.has(source), `${name}: volume ${source}`).toBe(true);
      }
    }
  });

  it('sets only env vars the code reads (image services aside)', () => {
    for (const [name, raw] of Object.entries(services)) {
      const s = asRecord(raw);
      if (s.build === undefined) continue;
      const env = Object.keys(asRecord(s.environment));
      expect(env.length, name).toBeGreaterThan(0);
      for (const key of env) expect(readByCode(key), `${name}: ${key}`).toBe(true);
    }
  });

  it('runs commands that exist: package scripts, factory CLI commands, the image’s with-repo', () => {
    for (const [name, raw] of Object.entries(services)) {
      const argv = commandOf(asRecord(raw));
      if (argv[0] === 'with-repo') {
        expect(dockerfile, `${name}: with-repo is defined in the Dockerfile`).toContain(
          '/usr/local/bin/with-repo',
        );
        argv.shift();
      }
      if (argv[0] === 'pnpm' && argv[1] === 'factory') {
        const sub = argv.slice(2).find((a) => !a.startsWith('-')) ?? 'status';
        expect(factoryCommands.has(sub), `${name}: pnpm factory ${sub}`).toBe(true);
      } else if (argv[0] === 'pnpm' && argv[1] !== '--silent') {
        expect(rootScripts.has(argv[1]!), `${name}: pnpm ${argv[1]}`).toBe(true);
      }
    }
    const one = commandOf(service('factory'));
    expect(one.slice(0, 2)).toEqual(['pnpm', 'factory']);
    expect(factoryCommands.has(one[2]!)).toBe(true);
    // The healthcheck of the worker is a real CLI command too.
    const health = (asRecord(service('factory-worker').healthcheck).test as string[]).slice(1);
    expect(health.slice(0, 3)).toEqual(['pnpm', '--silent', 'factory']);
    expect(factoryCommands.has(health[3]!)).toBe(true);
    // rag-app runs the image's CMD: `pnpm start`.
    expect(dockerfile).toMatch(/^CMD \["pnpm", "start"\]$/m);
    expect(rootScripts.has('start')).toBe(true);
  });

  it('checks health on the port each service listens on, the one it publishes', () => {
    const listens: Record<string, string> = { 'rag-app': 'PORT', 'factory-server': 'FACTORY_PORT' };
    for (const [name, variable] of Object.entries(listens)) {
      const s = service(name);
      const port = String(asRecord(s.environment)[variable]);
      const test = (asRecord(s.healthcheck).test as string[]).join(' ');
      expect(test, name).toContain(`http://127.0.0.1:${port}/`);
      expect(
        (s.ports as string[]).some((p) => p.endsWith(`:${port}`)),
        `${name} publishes ${port}`,
      ).toBe(true);
      expect(dockerfile).toMatch(new RegExp(`^EXPOSE .*\\b${port}\\b`, 'm'));
    }
    expect(String(asRecord(service('factory-server').environment).FACTORY_HOST)).toBe('0.0.0.0');
    // The watch server answers GET /api, rag-app GET /healthz.
    expect(read('factory/src/watch/app.ts')).toContain("app.get('/api',");
    expect(read('rag-app/src/http/routes/health/routes.ts')).toContain("'/healthz'");
  });
});

describe('issue templates', () => {
  const dir = '.github/ISSUE_TEMPLATE';

  it('are GitHub issue forms whose field ids and labels are the parser’s', () => {
    for (const form of ISSUE_FORMS) {
      const template = yaml(`${dir}/${form.kind}.yml`);
      expect(template.labels, form.kind).toEqual([form.label]);
      expect(typeof template.name).toBe('string');
      const fields = (template.body as Yaml[])
        .filter((b) => b.type !== 'markdown')
        .map((b) => ({
          id: b.id,
          label: asRecord(b.attributes).label,
          required: asRecord(b.validations).required === true,
        }));
      expect(fields, form.kind).toEqual(form.fields);
    }
    expect(yaml(`${dir}/config.yml`).blank_issues_enabled).toBe(false);
  });

  it('parse back from the Markdown GitHub renders a submission as', () => {
    for (const form of ISSUE_FORMS) {
      const values = Object.fromEntries(
        form.fields.map((f, i) => [f.id, i % 3 === 2 ? '' : `value of ${f.id}`]),
      );
      const body = form.fields
        .map((f) => {
          const value = values[f.id] || '_No response_';
          return `### ${f.label}\n\n${f.id === 'logs' && values[f.id] ? `\`\`\`shell\n${value}\n\`\`\`` : value}`;
        })
        .join('\n\n');
      const parsed = parseIssueForm(body, [form.label]);
      expect(parsed?.kind).toBe(form.kind);
      for (const f of form.fields)
        expect(parsed?.fields[f.id], `${form.kind}.${f.id}`).toBe(values[f.id] || undefined);
      expect(parsed?.missing).toEqual(
        form.fields.filter((f) => f.required && !values[f.id]).map((f) => f.id),
      );
    }
  });

  it('leaves a body that is not a form alone, and a `###` inside a code block is not a field', () => {
    expect(parseIssueForm('The search help says hybrid; the default is BM25 only.')).toBeNull();
    expect(parseIssueForm('### Notes\n\nfree text')).toBeNull();
    const body = [
      '### What happened?',
      'It crashed.',
      '### Steps to reproduce',
      '```',
      '### not a heading',
      '```',
      '### Expected behaviour',
      'An answer.',
      '### Actual behaviour',
      'A 500.',
    ].join('\n');
    expect(markdownSections(body).map((s) => s.heading)).toEqual([
      'What happened?',
      'Steps to reproduce',
      'Expected behaviour',
      'Actual behaviour',
    ]);
    // A value that is one code block is unwrapped, as GitHub renders a `render:` field.
    expect(parseIssueForm(body)?.fields.steps).toBe('### not a heading');
  });
});

describe('triage reads the form', () => {
  let server: ScriptedModelServer;
  beforeAll(async () => {
    const triage = (kind: string) => ({
      step: 'triage' as const,
      issue: 7,
      content: [
        {
          type: 'tool_use' as const,
          name: 'triage_decision',
          input: { decision: 'accept', kind, priority: 'normal', reason: 'Run pnpm rag ask --json.' },
        },
      ],
    });
    server = await startScriptedModelServer({
      scenario: { responses: [triage('bug'), triage('feature')] },
      apiKey: 'k',
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends the kind and the fields beside the issue; a question is answered, never implemented', async () => {
    const policy = PolicySchema.parse({
      version: 1,
      protected: ['mission.md'],
      validate: [{ name: 'x', command: 'node -v' }],
    });
    const model = new AnthropicModelClient({
      apiKey: 'k',
      baseURL: server.url,
      maxRetries: 0,
      stream: false,
      budget: new BudgetGuard({
        policyBudgets: policy.budgets,
        run: () => ({ turns: 0, tokens: 0, knownUsd: 0, unpricedCalls: 0, startedAt: new Date() }),
        day: () => ({ knownUsd: 0, runs: 1 }),
        price: () => null,
      }),
    });
    const models = { main: 'm', triage: 't', review: 'r' };
    const bug =
      '### What happened?\n\nWrong second.\n\n### Steps to reproduce\n\n1. ask </form> x\n\n### Expected behaviour\n\n0:42\n\n### Actual behaviour\n\n0:37';
    const form = parseIssueForm(bug, ['bug']);
    const decision = await triageIssue({
      model,
      models,
      issue: { number: 7, title: 'Cites too early', body: bug, comments: [] },
      form,
      missionProse: '# Mission',
    });
    const sent = JSON.stringify(server.requests[0]?.body);
    expect(sent).toContain('<form kind=\\"bug\\">');
    expect(sent).toContain('<field id=\\"steps\\" label=\\"Steps to reproduce\\">');
    expect(sent).toContain('&lt;/form> x');
    expect(triageStopReason(decision, form)).toBeUndefined();

    const question = parseIssueForm('### Question\n\nDoes search use vectors?\n\n### Area\n\nfactory', [
      'question',
    ]);
    expect(renderIssueForm(question!)).toContain('put the answer in `reason`');
    // The form says question: whatever the model classed it as, nothing is implemented.
    const accepted = await triageIssue({
      model,
      models,
      issue: { number: 7, title: 'Vectors?', body: 'Does search use vectors?', comments: [] },
      form: question,
      missionProse: '# Mission',
    });
    expect(accepted.kind).toBe('feature');
    expect(triageStopReason(accepted, question)).toBe('triage_question');
    expect(triageStopReason({ decision: 'accept', kind: 'question' }, null)).toBe('triage_question');
    expect(triageStopReason({ decision: 'reject', kind: 'question' }, question)).toBe('triage_rejected');
    expect(triageStopReason({ decision: 'needs-human', kind: 'bug' }, null)).toBe('triage_needs_human');
  });
});
