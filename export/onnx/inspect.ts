/**
 * `autosnn inspect` for ONNX files: any model (ours, with the autosnn metadata, or a foreign
 * one) summarised as its operators, inputs, outputs and parameters, and the semantics our
 * exporter records.
 */
import type { InspectNode, InspectSummary, Semantics } from '../common.js';
import {
  DataType,
  describeAttribute,
  elementCount,
  onnx,
  shapeOf,
  tensorValues,
  toNumber,
  type GraphProto,
  type ModelProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';
import { METADATA_KEYS, readOnnxMetadata } from './writer.js';

/** Element types whose initializers are weights (integer ones are shapes and indices). */
const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.DOUBLE, 10 /* FLOAT16 */, 16 /* BFLOAT16 */]);

function decode(bytes: Uint8Array, file: string): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new Error(`${file}: not an ONNX model (${(error as Error).message})`);
  }
}

interface Walk {
  initializers: Map<string, TensorProto>;
  /** Initializers already counted for a node. */
  counted: Set<string>;
  shapes: Map<string, number[]>;
  symbols: Set<string>;
  nodes: InspectNode[];
}

function recordShapes(walk: Walk, infos: readonly ValueInfoProto[] | null | undefined): void {
  for (const info of infos ?? []) {
    const { shape, symbols } = shapeOf(info);
    symbols.forEach((s) => walk.symbols.add(s));
    if (info.name && info.type?.tensorType?.shape) walk.shapes.set(info.name, shape);
  }
}

/** The graph's nodes in order, a subgraph's (a Loop body's) after its node, named `<node>/<inner>`. */
function walkGraph(walk: Walk, graph: GraphProto, prefix: string): void {
  for (const tensor of graph.initializer ?? []) walk.initializers.set(tensor.name ?? '', tensor);
  recordShapes(walk, graph.input);
  recordShapes(walk, graph.output);
  recordShapes(walk, graph.valueInfo);
  (graph.node ?? []).forEach((node, i) => {
    const opType = node.opType ?? '?';
    const name = `${prefix}${node.name || `${opType}_${i}`}`;
    let parameters = 0;
    const details: string[] = [];
    for (const input of node.input ?? []) {
      const tensor = walk.initializers.get(input);
      if (!tensor || !FLOAT_TYPES.has(tensor.dataType ?? 0)) continue;
      if (!walk.counted.has(input)) {
        walk.counted.add(input);
        parameters += elementCount(tensor);
      }
      const values = elementCount(tensor) === 1 ? tensorValues(tensor) : null;
      if (values && values.length === 1) details.push(`${input}=${values[0]}`);
    }
    for (const attr of node.attribute ?? []) details.push(`${attr.name}=${describeAttribute(attr)}`);
    const entry: InspectNode = { name, type: opType, parameters };
    const outputs = node.output ?? [];
    const shape = outputs.length === 1 ? walk.shapes.get(outputs[0]!) : undefined;
    // Without the batch, as InspectNode's shapes are: a leading symbolic dimension is the batch.
    if (shape) entry.shape = shape[0] === -1 ? shape.slice(1) : shape;
    if (details.length > 0) entry.details = details.join(' ');
    walk.nodes.push(entry);
    for (const attr of node.attribute ?? []) {
      if (attr.g) walkGraph(walk, attr.g, `${name}/`);
      for (const g of attr.graphs ?? []) walkGraph(walk, g, `${name}/`);
    }
  });
}

export function inspectOnnx(bytes: Uint8Array, file: string): InspectSummary {
  const model = decode(bytes, file);
  const graph = model.graph ?? {};
  const walk: Walk = { initializers: new Map(), counted: new Set(), shapes: new Map(), symbols: new Set(), nodes: [] };
  walkGraph(walk, graph, '');

  // Initializers listed as inputs too (older exporters do) are weights, not inputs.
  const mainInitializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const io = (infos: readonly ValueInfoProto[] | null | undefined) =>
    (infos ?? [])
      .filter((v) => !mainInitializers.has(v.name ?? ''))
      .map((v) => ({ name: v.name ?? '', shape: shapeOf(v).shape }));
  let parameters = 0;
  for (const tensor of walk.initializers.values()) {
    if (FLOAT_TYPES.has(tensor.dataType ?? 0)) parameters += elementCount(tensor);
  }

  const opsets = (model.opsetImport ?? [])
    .map((o) => (o.domain ? `${o.domain} ${toNumber(o.version)}` : `opset ${toNumber(o.version)}`))
    .join(', ');
  const notes: string[] = [];
  if (model.producerName)
    notes.push(`producer: ${model.producerName}${model.producerVersion ? ` ${model.producerVersion}` : ''}`);
  if (walk.symbols.size > 0) notes.push(`-1 in a shape is a symbolic dimension (${[...walk.symbols].join(', ')})`);

  let semantics: Semantics = {};
  const metadata = readOnnxMetadata(model);
  if (metadata) {
    semantics = metadata.semantics;
    notes.push(
      metadata.graph === 'step'
        ? `per-timestep graph of '${metadata.model}': run it T = ${metadata.timesteps} times per sample, feeding each state its previous value`
        : `whole-sequence graph of '${metadata.model}': a Loop over T = ${metadata.timesteps} steps`,
    );
    for (const s of metadata.states) {
      const io = s.state ? `${s.state} → ${s.next}` : `final ${s.next}`;
      notes.push(`state ${io} [${s.shape.join(', ')}], initial value ${s.initial}; spikes ${s.spikes}`);
    }
  } else {
    for (const { key, value } of model.metadataProps ?? []) {
      const text = value ?? '';
      notes.push(`metadata ${key}: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
    }
  }
  const known = new Set<string>(Object.values(METADATA_KEYS));
  if (metadata) {
    for (const { key, value } of model.metadataProps ?? []) {
      if (!known.has(key ?? '')) notes.push(`metadata ${key}: ${value}`);
    }
  }

  return {
    format: 'onnx',
    version: `ONNX IR ${toNumber(model.irVersion)}${opsets ? `, ${opsets}` : ''}`,
    file,
    bytes: bytes.length,
    inputs: io(graph.input),
    outputs: io(graph.output),
    nodes: walk.nodes,
    parameters,
    semantics,
    notes,
  };
}
