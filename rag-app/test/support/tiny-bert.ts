import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from '@dark-factory/kit';

/**
 * A tiny but real BERT-shaped model directory (config.json, tokenizer.json, tokenizer_config.json,
 * onnx/model.onnx) that @huggingface/transformers loads, tokenizes and runs with onnxruntime like any
 * exported model, without the Hugging Face hub. The ONNX graph is
 * `last_hidden_state = (word_emb[input_ids] + type_emb[token_type_ids]) * attention_mask`, dim 16.
 * Words of one topic share a direction, so texts about the same topic land near each other.
 */

export const TINY_DIM = 16;

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const TOPICS: Record<string, string[]> = {
  databases: ['database', 'supabase', 'postgres', 'row', 'level', 'security', 'policies', 'table', 'sql'],
  workflows: ['workflow', 'n8n', 'webhook', 'node', 'triggers', 'automation', 'zapier'],
  agents: ['agent', 'pydantic', 'ai', 'validates', 'structured', 'output', 'llm', 'tools'],
};
const GENERAL = [
  'the',
  'a',
  'an',
  'of',
  'in',
  'from',
  'with',
  'which',
  'part',
  'talk',
  'where',
  'we',
  'keep',
  'discussing',
  'general',
  'terms',
  'every',
  'protects',
  'outside',
  'new',
  'video',
  'about',
  'and',
  '.',
  '?',
  ',',
];
const SUFFIXES = ['##s', '##ing', '##ed'];

/** Token strings by id: the WordPiece vocabulary. */
export const TINY_VOCAB: readonly string[] = [
  ...SPECIAL,
  ...Object.values(TOPICS).flat(),
  ...GENERAL,
  ...SUFFIXES,
  ...Array.from({ length: 10 }, (_, i) => String(i)),
];

/** Deterministic pseudo-random numbers in [-1, 1). */
function prng(seed: number): () => number {
  const random = seededRandom(seed);
  return () => random() * 2 - 1;
}

/** Row per vocabulary id: topic words = topic direction + small noise, other tokens = short noise. */
export function tinyEmbeddingTable(): number[][] {
  const rand = prng(42);
  const noise = (scale: number) => Array.from({ length: TINY_DIM }, () => rand() * scale);
  const centroids = new Map(Object.keys(TOPICS).map((topic) => [topic, noise(1)]));
  const topicOf = new Map(Object.entries(TOPICS).flatMap(([topic, words]) => words.map((w) => [w, topic])));
  return TINY_VOCAB.map((token) => {
    if (token === '[PAD]') return new Array(TINY_DIM).fill(0);
    const topic = topicOf.get(token);
    const own = noise(topic ? 0.25 : 0.1);
    return topic ? centroids.get(topic)!.map((c, i) => c + own[i]!) : own;
  });
}

/** token_type_ids 0 and 1: a small constant shift, as BERT's segment embeddings are. */
export function tinyTypeTable(): number[][] {
  const rand = prng(7);
  return [0, 1].map(() => Array.from({ length: TINY_DIM }, () => rand() * 0.05));
}

// --- a minimal protobuf writer: just the wire types ONNX's ModelProto needs ---

type Field = Uint8Array;

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const concat = (parts: readonly Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const intField = (no: number, value: number | bigint): Field =>
  Uint8Array.from([...varint(no << 3), ...varint(value)]);
const bytesField = (no: number, bytes: Uint8Array): Field =>
  concat([Uint8Array.from([...varint((no << 3) | 2), ...varint(bytes.length)]), bytes]);
const strField = (no: number, s: string): Field => bytesField(no, new TextEncoder().encode(s));
const msgField = (no: number, fields: readonly Field[]): Field => bytesField(no, concat(fields));

// ONNX TensorProto.DataType
const FLOAT = 1;
const INT64 = 7;

function floatTensor(name: string, rows: number[][]): Field[] {
  const data = new Float32Array(rows.flat());
  return [
    intField(1, rows.length), // dims
    intField(1, rows[0]!.length),
    intField(2, FLOAT), // data_type
    strField(8, name),
    bytesField(9, new Uint8Array(data.buffer)), // raw_data, little-endian
  ];
}

function int64Tensor(name: string, values: number[]): Field[] {
  const data = new BigInt64Array(values.map(BigInt));
  return [
    intField(1, values.length),
    intField(2, INT64),
    strField(8, name),
    bytesField(9, new Uint8Array(data.buffer)),
  ];
}

/** ValueInfoProto of a tensor whose dims are symbolic names or sizes. */
function valueInfo(name: string, elemType: number, dims: (string | number)[]): Field[] {
  const dimFields = dims.map((d) => msgField(1, [typeof d === 'number' ? intField(1, d) : strField(2, d)]));
  const tensorType = [intField(1, elemType), msgField(2, dimFields)];
  return [strField(1, name), msgField(2, [msgField(1, tensorType)])];
}

function node(op: string, inputs: string[], outputs: string[], attributes: Field[][] = []): Field[] {
  return [
    ...inputs.map((i) => strField(1, i)),
    ...outputs.map((o) => strField(2, o)),
    strField(3, `${op}_${outputs[0]}`),
    strField(4, op),
    ...attributes.map((a) => msgField(5, a)),
  ];
}

/** The serialized ModelProto (IR 7, opset 13). */
export function tinyBertOnnx(): Uint8Array {
  const seq = ['batch_size', 'sequence_length'];
  const graph: Field[] = [
    msgField(1, node('Gather', ['word_embeddings', 'input_ids'], ['words'])),
    msgField(1, node('Gather', ['token_type_embeddings', 'token_type_ids'], ['types'])),
    msgField(1, node('Add', ['words', 'types'], ['summed'])),
    // AttributeProto: name=1, i=3, type=20 (INT=2)
    msgField(
      1,
      node(
        'Cast',
        ['attention_mask'],
        ['mask_f'],
        [[strField(1, 'to'), intField(3, FLOAT), intField(20, 2)]],
      ),
    ),
    msgField(1, node('Unsqueeze', ['mask_f', 'unsqueeze_axes'], ['mask3'])),
    msgField(1, node('Mul', ['summed', 'mask3'], ['last_hidden_state'])),
    strField(2, 'tiny-bert'),
    msgField(5, floatTensor('word_embeddings', tinyEmbeddingTable())),
    msgField(5, floatTensor('token_type_embeddings', tinyTypeTable())),
    msgField(5, int64Tensor('unsqueeze_axes', [2])),
    msgField(11, valueInfo('input_ids', INT64, seq)),
    msgField(11, valueInfo('attention_mask', INT64, seq)),
    msgField(11, valueInfo('token_type_ids', INT64, seq)),
    msgField(12, valueInfo('last_hidden_state', FLOAT, [...seq, TINY_DIM])),
  ];
  return concat([
    intField(1, 7), // ir_version
    strField(2, 'dark-factory-test'), // producer_name
    msgField(7, graph),
    msgField(8, [strField(1, ''), intField(2, 13)]), // opset_import
  ]);
}

/** A tokenizer.json in the Hugging Face tokenizers format, as BERT uncased exports it. */
export function tinyTokenizerJson(): unknown {
  const id = (t: string) => TINY_VOCAB.indexOf(t);
  const special = SPECIAL.map((content) => ({
    id: id(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])),
    },
  };
}

export interface TinyBertOptions {
  /** `_name_or_path` written into config.json, as exporters do. */
  nameOrPath?: string;
  /** Files to leave out, to exercise the provider's checks. */
  omit?: ('config.json' | 'tokenizer.json' | 'tokenizer_config.json' | 'onnx/model.onnx')[];
}

/** Writes the model directory `dir` and returns it. */
export async function writeTinyBert(dir: string, options: TinyBertOptions = {}): Promise<string> {
  const omit = new Set(options.omit ?? []);
  const files: Record<string, string | Uint8Array> = {
    'config.json': JSON.stringify({
      ...(options.nameOrPath ? { _name_or_path: options.nameOrPath } : {}),
      architectures: ['BertModel'],
      model_type: 'bert',
      hidden_size: TINY_DIM,
      num_attention_heads: 1,
      num_hidden_layers: 0,
      intermediate_size: TINY_DIM,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      vocab_size: TINY_VOCAB.length,
      pad_token_id: 0,
    }),
    'tokenizer.json': JSON.stringify(tinyTokenizerJson()),
    'tokenizer_config.json': JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 512,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
    }),
    'onnx/model.onnx': tinyBertOnnx(),
  };
  for (const [name, content] of Object.entries(files)) {
    if (omit.has(name as never)) continue;
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}
