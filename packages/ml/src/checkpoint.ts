import type { Algorithm, ResumePoint, RowMetrics } from '@trainyard/shared/jobs';
import type { FitState } from './learner.js';

/** Where a training keeps its checkpoint and how often: the caller's storage, seen as bytes. */
export interface Checkpoints {
  /** The training's last checkpoint, if any: a training that finds one resumes from it. */
  saved: Uint8Array | null;
  /** The least time between two checkpoints; 0 saves after every epoch. */
  intervalMs: number;
  /** Replaces the checkpoint with a complete one (a store's put of the whole buffer: never half written). */
  write(bytes: Uint8Array): Promise<void>;
}

/** What a training is: a checkpoint of another one (other data, other parameters) is never resumed from. */
export interface CheckpointIdentity {
  algorithm: Algorithm;
  /** The validated parameters, as JSON. */
  params: string;
  dataHash: string;
  /** The seed in use, given or drawn: a resumed run keeps it. */
  seed: number;
}

/** The first fit's outcome, kept once the refit on every row runs: a refit resumed later reports it. */
export interface FirstFit {
  loss: number[];
  valLoss?: number[];
  bestStep?: number;
  validation?: RowMetrics;
}

export interface TrainingCheckpoint extends CheckpointIdentity {
  phase: ResumePoint['phase'];
  first?: FirstFit;
  state: FitState;
}

/** Only networks checkpoint: the full-batch solvers (linear, logistic, text) finish in milliseconds. */
export const isCheckpointed = (algorithm: Algorithm): boolean => algorithm === 'mlp';

const magic = 'TYCK';
const formatVersion = 1;

/**
 * One buffer: "TYCK", the header's length (uint32 LE), the checkpoint as JSON with each
 * Float32Array replaced by its index, padding to 4 bytes, then the arrays' float32 bytes in order.
 * Weights and moments stay exact (JSON would print each float as a long decimal, at 4× the size).
 */
export function encodeCheckpoint(checkpoint: TrainingCheckpoint): Uint8Array {
  const arrays: Float32Array[] = [];
  const json = JSON.stringify({ format: formatVersion, ...checkpoint }, (_key, value: unknown) =>
    value instanceof Float32Array ? { f32: arrays.push(value) - 1, length: value.length } : value,
  );
  const header = Buffer.from(json);
  const start = align(8 + header.length);
  const bytes = new Uint8Array(start + arrays.reduce((sum, array) => sum + array.byteLength, 0));
  const view = new DataView(bytes.buffer);
  bytes.set(Buffer.from(magic), 0);
  view.setUint32(4, header.length, true);
  bytes.set(header, 8);
  let offset = start;
  for (const array of arrays) {
    bytes.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset += array.byteLength;
  }
  return bytes;
}

/** Throws on anything that is not a whole checkpoint of this format. */
export function decodeCheckpoint(bytes: Uint8Array): TrainingCheckpoint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || Buffer.from(bytes.subarray(0, 4)).toString() !== magic) throw new Error('not a training checkpoint');
  const headerLength = view.getUint32(4, true);
  const header = Buffer.from(bytes.subarray(8, 8 + headerLength)).toString();
  let offset = align(8 + headerLength);
  let index = 0;
  const parsed = JSON.parse(header, (_key, value: unknown) => {
    if (!isArrayRef(value)) return value;
    if (value.f32 !== index++) throw new Error('a training checkpoint with its arrays out of order');
    const end = offset + value.length * 4;
    if (end > bytes.byteLength) throw new Error('a truncated training checkpoint');
    // A copy into a buffer of its own: 4-byte aligned, whatever the given view's offset (a Buffer's slice would not copy).
    const array = new Float32Array(new Uint8Array(bytes.subarray(offset, end)).buffer);
    offset = end;
    return array;
  }) as TrainingCheckpoint & { format: number };
  if (parsed.format !== formatVersion) throw new Error(`a training checkpoint of format ${parsed.format}, not ${formatVersion}`);
  const { format: _format, ...checkpoint } = parsed;
  return checkpoint;
}

// JSON.parse revives inner values first and in order, so the arrays are met in the order they were written.
const isArrayRef = (value: unknown): value is { f32: number; length: number } =>
  typeof value === 'object' && value !== null && 'f32' in value && 'length' in value && Object.keys(value).length === 2;

const align = (offset: number) => Math.ceil(offset / 4) * 4;

/**
 * The saved checkpoint, when it belongs to this training; else why not (a changed dataset, a
 * corrupt object), and the training starts afresh.
 */
export function resumableCheckpoint(saved: Uint8Array | null, identity: Omit<CheckpointIdentity, 'seed'> & { seed?: number }): TrainingCheckpoint | string | undefined {
  if (!saved) return undefined;
  let checkpoint: TrainingCheckpoint;
  try {
    checkpoint = decodeCheckpoint(saved);
  } catch (error) {
    return `unreadable (${(error as Error).message})`;
  }
  if (checkpoint.algorithm !== identity.algorithm || checkpoint.params !== identity.params) return 'made with other parameters';
  if (checkpoint.dataHash !== identity.dataHash) return 'made on other data';
  if (identity.seed !== undefined && checkpoint.seed !== identity.seed) return 'made with another seed';
  if (checkpoint.phase === 'refit' && !checkpoint.first) return "a refit's without the first fit's outcome";
  return checkpoint;
}

/**
 * Saves a phase's state at most every intervalMs, one write at a time: a state due while the last
 * write is under way waits for a later epoch instead of holding training up. The state is encoded
 * at once, so training goes on while the bytes are written.
 */
export function checkpointWriter(checkpoints: Checkpoints, identity: CheckpointIdentity, onError: (error: unknown) => void) {
  let last = performance.now();
  let writing: Promise<void> | undefined;
  return {
    /** A fit's saveState for this phase; a refit's checkpoints carry the first fit's outcome. */
    phase: (phase: ResumePoint['phase'], first?: FirstFit) => (state: () => FitState) => {
      if (writing || performance.now() - last < checkpoints.intervalMs) return;
      last = performance.now();
      const bytes = encodeCheckpoint({ ...identity, phase, ...(first && { first }), state: state() });
      writing = checkpoints
        .write(bytes)
        .catch(onError)
        .finally(() => (writing = undefined));
    },
    /** Resolves once no write is under way: a write never lands after its training ended. */
    settled: async () => {
      await writing;
    },
  };
}
