import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { parseTrustedProxies } from './http/middleware/client-ip.ts';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/** Every environment variable the app reads, with its default. The README's table mirrors this. */
export const envSchema = z.object({
  DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: z.string().url().optional(),
  /** A new embedded store's cluster is a copy of one made once here (store/initdb-cache.ts); `off`: initdb each time. */
  PGLITE_INITDB_CACHE: z.string().optional(),
  EMBEDDER: z.enum(['none', 'lsa', 'openai', 'transformers']).default('none'),
  /** EMBEDDER=transformers: a local transformers.js model (config.json, tokenizer.json, onnx/model.onnx). */
  EMBEDDER_MODEL_DIR: z.string().optional(),
  /** EMBEDDER=openai: any OpenAI-compatible /embeddings endpoint (OpenAI, Ollama's /v1, vLLM...). */
  EMBEDDINGS_BASE_URL: z.string().url().default('https://api.openai.com/v1'),
  EMBEDDINGS_API_KEY: z.string().optional(),
  EMBEDDINGS_MODEL: z.string().min(1).default('text-embedding-3-small'),
  /** Texts per embeddings request (OpenAI accepts up to 2048). */
  EMBEDDINGS_BATCH: z.coerce.number().int().min(1).max(2048).default(64),
  /** Weight of the vector list in the RRF fusion (the lexical BM25 list has weight 1). */
  VECTOR_WEIGHT: z.coerce.number().min(0).max(10).default(1),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  ANTHROPIC_MODEL: z.string().default('claude-sonnet-4-6'),
  CORPUS_DIR: z.string().optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ALLOW_ANONYMOUS: bool.default(false),
  DAILY_MESSAGE_CAP: z.coerce.number().int().min(1).default(25),
  IP_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Model-written answers in any 24 h, all users together; past it answers come from the offline answerer. */
  MODEL_DAILY_ANSWER_CAP: z.coerce.number().int().min(0).default(500),
  /** Estimated model spend in US dollars in any 24 h, all users together; past it, the offline answerer. */
  MODEL_DAILY_SPEND_USD: z.coerce.number().min(0).default(5),
  /** Prices for the spend estimate, US dollars per million tokens (Claude Sonnet's list price by default). */
  MODEL_PRICE_INPUT_PER_MTOK: z.coerce.number().min(0).default(3),
  MODEL_PRICE_OUTPUT_PER_MTOK: z.coerce.number().min(0).default(15),
  /** A guest's conversations are deleted this many days after the guest's last activity (0: never). */
  GUEST_RETENTION_DAYS: z.coerce.number().min(0).default(30),
  /** Deadline of every outbound request to YouTube (transcripts, watch pages, playlists), body included. */
  FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  SYNC_INTERVAL_MINUTES: z.coerce.number().min(0).default(0),
  SYNC_SOURCES: z.string().optional(),
  /** Reverse proxies whose X-Forwarded-For is believed: comma-separated IPs and CIDR ranges; none by default. */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const parsed = parseTrustedProxies(value);
      if (parsed.ok) return parsed.proxies;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }),
  /**
   * Gone: it made admin whoever signed up first as a listed address. Refused rather than ignored,
   * so a deployment that relied on it learns how admin is granted now.
   */
  ADMIN_EMAILS: z
    .string()
    .optional()
    .refine((v) => v === undefined, {
      message:
        'no longer supported (anyone could sign up as a listed address): unset it, then grant admin with `pnpm rag admin grant <email>` or the setup link the server prints while no admin exists',
    }),
  GITHUB_TOKEN: z.string().optional(),
  GITHUB_REPOSITORY: z.string().optional(),
  GITHUB_API_URL: z.string().url().optional(),
  FORGE_DIR: z.string().optional(),
  LOG_LEVEL: z.string().default('info'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** Absolute path of the embedded database directory (unused when DATABASE_URL is set). */
  pgliteDir: string;
  /** Absolute path of the local forge directory. */
  forgeDir: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = envSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(`invalid environment: ${first?.path.join('.')}: ${first?.message}`, {
      issues: parsed.error.issues,
    });
  }
  const dataDir = path.resolve(cwd, parsed.data.DATA_DIR);
  return {
    ...parsed.data,
    DATA_DIR: dataDir,
    pgliteDir: path.join(dataDir, 'pglite'),
    forgeDir: path.resolve(cwd, parsed.data.FORGE_DIR ?? path.join(dataDir, 'forge')),
  };
}
