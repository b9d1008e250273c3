/**
 * The protocol's messages (firmware-bridge/proto/bridge.proto) as typed TypeScript values, through
 * protobufjs reading the .proto at run time, so the host and the firmware (nanopb, generated from
 * the same file) cannot drift apart. Fields are camelCase, enums their names; uint64 fields
 * become numbers, refused past 2^53 rather than silently rounded.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The package root: this file is dist/firmware-bridge/host/codec.js once compiled. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const PROTO_PATH = path.join(PACKAGE_ROOT, 'firmware-bridge', 'proto', 'bridge.proto');

/** The protocol version this host speaks. */
export const PROTOCOL_VERSION = 1;

export type BufferName = 'MODEL' | 'INPUT';
export type InputFormatName = 'DENSE' | 'EVENTS';
export type BasisName = 'NONE' | 'CYCLES' | 'SENSOR';
export type ErrorCodeName =
  | 'UNKNOWN'
  | 'MALFORMED'
  | 'NO_SESSION'
  | 'VERSION'
  | 'TOO_LARGE'
  | 'BAD_CHUNK'
  | 'BAD_IMAGE'
  | 'NO_MODEL'
  | 'BAD_INPUT'
  | 'BAD_STEPS'
  | 'NO_RESULT'
  | 'NO_SENSOR';

export interface Hello {
  protocolVersion: number;
}
export interface Write {
  buffer: BufferName;
  total: number;
  offset: number;
  data: Uint8Array;
  crc: number;
}
export interface Commit {
  size: number;
  crc: number;
}
export interface Run {
  firstStep: number;
  steps: number;
  format: InputFormatName;
  inputSize: number;
  inputCrc: number;
}
export interface Read {
  offset: number;
  length: number;
}

export interface Info {
  protocolVersion: number;
  firmwareVersion: string;
  board: string;
  maxModelBytes: number;
  maxNeurons: number;
  maxLayers: number;
  maxTimesteps: number;
  maxInputBytes: number;
  maxChunkBytes: number;
  windowBytes: number;
  windowFrames: number;
  hasPowerSensor: boolean;
  hasCycleCounter: boolean;
  clockHz: number;
  modelLoaded: boolean;
  modelCrc: number;
  modelBytes: number;
  maxResultBytes: number;
}
export interface WriteAck {
  buffer: BufferName;
  offset: number;
  length: number;
}
export interface ModelInfo {
  crc: number;
  bytes: number;
  layers: number;
  neurons: number;
  timesteps: number;
  classes: number;
  inputEncoding: number;
  inputSize: number;
}
export interface RunDone {
  firstStep: number;
  steps: number;
  resultSize: number;
  resultCrc: number;
  cycles: number;
}
export interface Data {
  offset: number;
  data: Uint8Array;
  crc: number;
}
export interface Energy {
  basis: BasisName;
  basisText: string;
  cycles: number;
  clockHz: number;
  durationUs: number;
  energyNj: number;
  meanPowerMw: number;
  busVoltageV: number;
  sensorSamples: number;
}
/** The Error message (named so as not to hide the global Error). */
export interface ErrorReply {
  code: ErrorCodeName;
  text: string;
  offset: number;
}
export interface LayerCounters {
  record: number;
  spikes: number[];
  ac: number[];
  mac: number[];
  neuronUpdates: number;
}
export interface Result {
  firstStep: number;
  steps: number;
  /** Per step of the run, per class (step-major). */
  classCounts: number[];
  layers: LayerCounters[];
  cycles: number;
}

type Empty = Record<string, never>;

/** A request's body: `kind` names the oneof field, which holds the message. */
export type RequestBody =
  | { kind: 'hello'; hello: Hello }
  | { kind: 'write'; write: Write }
  | { kind: 'commit'; commit: Commit }
  | { kind: 'reset'; reset: Empty }
  | { kind: 'run'; run: Run }
  | { kind: 'read'; read: Read }
  | { kind: 'measure'; measure: Empty };

export type ReplyBody =
  | { kind: 'info'; info: Info }
  | { kind: 'writeAck'; writeAck: WriteAck }
  | { kind: 'model'; model: ModelInfo }
  | { kind: 'resetAck'; resetAck: Empty }
  | { kind: 'runDone'; runDone: RunDone }
  | { kind: 'data'; data: Data }
  | { kind: 'energy'; energy: Energy }
  | { kind: 'error'; error: ErrorReply };

export type RequestKind = RequestBody['kind'];
export type ReplyKind = ReplyBody['kind'];

export interface Request {
  seq: number;
  body: RequestBody;
}
export interface Reply {
  seq: number;
  body: ReplyBody;
}

/** A frame that passed its CRC but is not a valid message. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

interface Types {
  Request: protobuf.Type;
  Reply: protobuf.Type;
  Result: protobuf.Type;
}
let types: Types | null = null;

// Loaded once, on first use, so importing the host modules costs nothing until they talk.
function load(): Types {
  if (!types) {
    const root = protobuf.loadSync(PROTO_PATH);
    types = {
      Request: root.lookupType('autosnn.bridge.Request'),
      Reply: root.lookupType('autosnn.bridge.Reply'),
      Result: root.lookupType('autosnn.bridge.Result'),
    };
  }
  return types;
}

const CONVERSION: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
};

/** A uint64 (as protobufjs's decimal string) as a number; refused past 2^53 instead of rounded. */
function safeNumber(value: unknown, field: string): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new DecodeError(`${field} = ${String(value)} does not fit a safe integer`);
  return n;
}

const bytesOf = (value: unknown): Uint8Array =>
  value instanceof Uint8Array ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(0);

export function encodeRequest(request: Request): Uint8Array {
  const { Request } = load();
  const body = request.body as unknown as Record<string, unknown>;
  const message = Request.fromObject({ seq: request.seq >>> 0, [request.body.kind]: body[request.body.kind] });
  return Request.encode(message).finish();
}

/** Decodes a Request (what a board receives); for tests and tools that play the board. */
export function decodeRequest(bytes: Uint8Array): Request {
  const { Request } = load();
  const object = toObject(Request, bytes) as { seq: number; body?: string } & Record<string, unknown>;
  if (!object.body) throw new DecodeError('request has no body');
  return { seq: object.seq, body: { kind: object.body, [object.body]: object[object.body] } as RequestBody };
}

/** Encodes a Reply (what a board sends); for tests and tools that play the board. */
export function encodeReply(reply: Reply): Uint8Array {
  const { Reply } = load();
  const body = reply.body as unknown as Record<string, unknown>;
  const message = Reply.fromObject({ seq: reply.seq >>> 0, [reply.body.kind]: body[reply.body.kind] });
  return Reply.encode(message).finish();
}

export function decodeReply(bytes: Uint8Array): Reply {
  const { Reply } = load();
  const object = toObject(Reply, bytes) as { seq: number; body?: string } & Record<string, unknown>;
  const kind = object.body;
  if (!kind) throw new DecodeError('reply has no body');
  const value = object[kind] as Record<string, unknown>;
  switch (kind) {
    case 'runDone':
      value.cycles = safeNumber(value.cycles, 'RunDone.cycles');
      break;
    case 'energy':
      value.cycles = safeNumber(value.cycles, 'Energy.cycles');
      value.durationUs = safeNumber(value.durationUs, 'Energy.durationUs');
      break;
    case 'data':
      value.data = bytesOf(value.data);
      break;
  }
  return { seq: object.seq, body: { kind, [kind]: value } as ReplyBody };
}

export function decodeResult(bytes: Uint8Array): Result {
  const { Result } = load();
  const object = toObject(Result, bytes) as Record<string, unknown>;
  const layers = (object.layers as Record<string, unknown>[]).map((l): LayerCounters => ({
    record: l.record as number,
    spikes: l.spikes as number[],
    ac: l.ac as number[],
    mac: l.mac as number[],
    neuronUpdates: l.neuronUpdates as number,
  }));
  return {
    firstStep: object.firstStep as number,
    steps: object.steps as number,
    classCounts: object.classCounts as number[],
    layers,
    cycles: safeNumber(object.cycles, 'Result.cycles'),
  };
}

/** Encodes a Result (what the board's result buffer holds); for tests. */
export function encodeResult(result: Result): Uint8Array {
  const { Result } = load();
  return Result.encode(Result.fromObject({ ...result })).finish();
}

function toObject(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new DecodeError(`not a valid ${type.name}: ${(error as Error).message}`);
  }
  return type.toObject(message, CONVERSION);
}
