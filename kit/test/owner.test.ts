import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DarkFactoryError } from '../src/errors.ts';
import {
  type ClaimOptions,
  claimOwner,
  type OwnerBase,
  OwnerBaseSchema,
  type OwnerSpec,
  ownerFile,
  ownerIsGone,
  processStart,
  readOwner,
} from '../src/owner.ts';

// A package of its own, as rag-app and the factory are: its fields and its typed errors.
class PackageError extends DarkFactoryError<'unreadable' | 'invalid' | 'in_use' | 'lost'> {}

const InfoSchema = OwnerBaseSchema.extend({ label: z.string().min(1), url: z.url().optional() });
type Info = z.infer<typeof InfoSchema>;

const spec: OwnerSpec<Info> = {
  schema: InfoSchema,
  unreadable: (file, err) => new PackageError('unreadable', `cannot read ${file}`, { file }, { cause: err }),
  invalid: (file) => new PackageError('invalid', `${file} is not an owner file`, { file }),
};
const claimOptions = (label: string): ClaimOptions<Info> => ({
  fields: { label },
  inUse: (dir, owner) => new PackageError('in_use', `${dir} is in use by pid ${owner.pid}`, { owner }),
  lost: (file, fields) => new PackageError('lost', `${file} is no longer ours`, { fields }),
});

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kit-owner-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function freshDir(): Promise<string> {
  const dir = path.join(root, `store-${++n}`);
  await mkdir(dir);
  return dir;
}

/** The pid of a process that has exited: its owner file is stale. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid as number;
  await new Promise((resolve) => child.once('exit', resolve));
  return pid;
}

function record(fields: Partial<Info> & Pick<OwnerBase, 'pid'>): Info {
  return {
    hostname: hostname(),
    id: 'f'.repeat(32),
    startedAt: new Date().toISOString(),
    label: 'someone else',
    ...fields,
  };
}

async function rejection(promise: Promise<unknown>): Promise<PackageError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PackageError);
  return err as PackageError;
}

describe('claimOwner', () => {
  it('claims a directory with one complete file, refuses a second claim, and lets go on release', async () => {
    const dir = await freshDir();
    const claim = await claimOwner(dir, spec, claimOptions('first'));
    expect(claim.file).toBe(ownerFile(dir));
    expect(claim.info).toMatchObject({
      pid: process.pid,
      hostname: hostname(),
      label: 'first',
      procStart: processStart(process.pid),
    });
    expect(await readOwner(dir, spec)).toEqual(claim.info);
    expect((await stat(claim.file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['owner.json']);

    // This very process holds it: a second claim is refused, the owner's file left as it was.
    const err = await rejection(claimOwner(dir, spec, claimOptions('second')));
    expect(err.code).toBe('in_use');
    expect(err.context.owner).toEqual(claim.info);
    expect(await readOwner(dir, spec)).toEqual(claim.info);

    await claim.release();
    await claim.release();
    expect(await readOwner(dir, spec)).toBeUndefined();
    const again = await claimOwner(dir, spec, claimOptions('again'));
    expect(again.info.id).not.toBe(claim.info.id);
    await again.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('lets exactly one of concurrent claims in one process win', async () => {
    const dir = await freshDir();
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((i) => claimOwner(dir, spec, claimOptions(`c${i}`))),
    );
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'in_use' });
    expect((await readOwner(dir, spec))?.id).toBe(won[0]?.info.id);
    await won[0]?.release();
  });

  it('takes over a file whose process is gone, or that this pid left without a claim', async () => {
    const dir = await freshDir();
    for (const stale of [
      record({ pid: await deadPid() }),
      record({ pid: process.pid, id: 'e'.repeat(32) }),
    ]) {
      expect(ownerIsGone(stale)).toBe(true);
      await writeFile(ownerFile(dir), JSON.stringify(stale));
      const claim = await claimOwner(dir, spec, claimOptions('taker'));
      expect(await readOwner(dir, spec)).toMatchObject({
        pid: process.pid,
        id: claim.info.id,
        label: 'taker',
      });
      // Nothing left aside: the stale file was moved out and removed.
      expect(await readdir(dir)).toEqual(['owner.json']);
      await claim.release();
    }
  });

  it('tells a live owner from a reused pid, trusts another host, and leaves a live owner alone', async () => {
    const self = processStart(process.pid);
    expect(self).toMatch(/^\d+$/);
    // pid 1 is alive: with its own start time it is the owner, with another it is a reused pid.
    const live = record({ pid: 1, procStart: processStart(1) });
    expect(ownerIsGone(live)).toBe(false);
    expect(ownerIsGone(record({ pid: 1, procStart: `${self}0` }))).toBe(true);
    // Without a recorded start time a live pid is taken as the owner.
    expect(ownerIsGone(record({ pid: 1 }))).toBe(false);
    // On another host nothing can be told, even of a pid that is gone here.
    expect(ownerIsGone(record({ pid: await deadPid(), hostname: `${hostname()}-other` }))).toBe(false);

    const dir = await freshDir();
    await writeFile(ownerFile(dir), JSON.stringify(live));
    const err = await rejection(claimOwner(dir, spec, claimOptions('second')));
    expect(err.code).toBe('in_use');
    expect(err.message).toBe(`${dir} is in use by pid 1`);
    expect(await readOwner(dir, spec)).toEqual(live);
  });

  it('publishes fields while the file is ours, validated, and refuses once it was taken over', async () => {
    const dir = await freshDir();
    const claim = await claimOwner(dir, spec, claimOptions('server'));
    await claim.publish({ url: 'http://127.0.0.1:3000' });
    expect(claim.info.url).toBe('http://127.0.0.1:3000');
    expect(await readOwner(dir, spec)).toEqual(claim.info);
    expect((await stat(claim.file)).mode & 0o777).toBe(0o600);
    await expect(claim.publish({ url: 'not a url' })).rejects.toBeInstanceOf(z.ZodError);
    expect(await readOwner(dir, spec)).toEqual(claim.info);
    expect(await readdir(dir)).toEqual(['owner.json']);

    // Another process took the file over (this one was judged gone): ours no more.
    const other = record({ pid: 1, procStart: processStart(1) });
    await writeFile(ownerFile(dir), JSON.stringify(other));
    const err = await rejection(claim.publish({ url: 'http://127.0.0.1:3001' }));
    expect(err.code).toBe('lost');
    await claim.release();
    expect(await readOwner(dir, spec)).toEqual(other);
    // Released: publishing is refused even with no one else there.
    await rm(ownerFile(dir));
    expect((await rejection(claim.publish({ url: 'http://127.0.0.1:3002' }))).code).toBe('lost');
  });

  it("reports an unreadable or invalid file with the package's errors, and never takes it over", async () => {
    const dir = await freshDir();
    await mkdir(ownerFile(dir)); // EISDIR: readable by no one, root included
    const unreadable = await rejection(readOwner(dir, spec));
    expect(unreadable.code).toBe('unreadable');
    expect((unreadable.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
    await rm(ownerFile(dir), { recursive: true });

    for (const text of ['{"pid":', JSON.stringify({ ...record({ pid: 1 }), id: 'not hex' })]) {
      await writeFile(ownerFile(dir), text);
      expect((await rejection(readOwner(dir, spec))).code).toBe('invalid');
      expect((await rejection(claimOwner(dir, spec, claimOptions('x')))).code).toBe('invalid');
      expect(await readFile(ownerFile(dir), 'utf8')).toBe(text);
    }
  });

  it('removes the file when its process exits without release()', async () => {
    const dir = await freshDir();
    const owner = new URL('../src/owner.ts', import.meta.url).href;
    // A real process: the exit handler runs on a normal exit (a killed one leaves a stale file).
    const script = `
      import { claimOwner, OwnerBaseSchema } from ${JSON.stringify(owner)};
      const fail = () => new Error('unexpected');
      const claim = await claimOwner(${JSON.stringify(dir)}, { schema: OwnerBaseSchema, unreadable: fail, invalid: fail },
        { fields: {}, inUse: fail, lost: fail });
      process.stdout.write(JSON.stringify(claim.info));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: path.resolve(import.meta.dirname, '../..') },
    );
    expect(JSON.parse(stdout)).toMatchObject({ hostname: hostname() });
    expect(await readdir(dir)).toEqual([]);
  });
});
