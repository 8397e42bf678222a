import { z } from 'zod';
import type { Prediction } from '@trainyard/shared/jobs';
import { isTextModel, type ModelVersion, type RequestInput } from '@trainyard/shared/models';
import { InvalidRequestError } from '@trainyard/shared/platform';

/** Tensor data types of the Open Inference Protocol. */
const datatypes = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;
type Datatype = (typeof datatypes)[number];
const numeric: ReadonlySet<Datatype> = new Set(datatypes.filter((type) => type !== 'BOOL' && type !== 'BYTES'));

const parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** POST /v2/models/{name}[/versions/{v}]/infer: the protocol's inference request (unknown fields are ignored, as servers do). */
export const inferenceRequest = z.object({
  id: z.string().optional(),
  parameters: parameters.optional(),
  inputs: z
    .array(
      z.object({
        name: z.string().min(1),
        shape: z.array(z.int().min(0)),
        datatype: z.enum(datatypes),
        parameters: parameters.optional(),
        data: z.array(z.unknown()),
      }),
    )
    .min(1),
  outputs: z.array(z.object({ name: z.string().min(1), parameters: parameters.optional() })).optional(),
});
export type InferenceRequest = z.output<typeof inferenceRequest>;
type RequestTensor = InferenceRequest['inputs'][number];

export const metadataTensor = z.object({ name: z.string(), datatype: z.enum(datatypes), shape: z.array(z.int()) });
export type MetadataTensor = z.output<typeof metadataTensor>;

export const responseTensor = metadataTensor.extend({
  parameters: z.record(z.string(), z.string()).optional(),
  data: z.array(z.union([z.number(), z.string()])),
});
export type ResponseTensor = z.output<typeof responseTensor>;

const fail = (message: string) => new InvalidRequestError(message);

/** Row-major, flattened: `[[1, 2], [3, 4]]` and `[1, 2, 3, 4]` are the same tensor data. */
function flatten(data: unknown[]): unknown[] {
  return data.flatMap((value) => (Array.isArray(value) ? flatten(value) : [value]));
}

/** A tensor's elements, checked against its shape and datatype. */
function elements(tensor: RequestTensor, kind: 'numbers' | 'texts'): (number | string)[] {
  const values = flatten(tensor.data);
  const size = tensor.shape.reduce((product, dimension) => product * dimension, 1);
  if (values.length !== size) throw fail(`input ${tensor.name}: shape [${tensor.shape.join(', ')}] holds ${size} values, data has ${values.length}`);
  if (kind === 'texts') {
    if (tensor.datatype !== 'BYTES' || values.some((value) => typeof value !== 'string')) throw fail(`input ${tensor.name}: a text model takes BYTES (strings)`);
    return values as string[];
  }
  if (!numeric.has(tensor.datatype) || values.some((value) => typeof value !== 'number')) {
    throw fail(`input ${tensor.name}: features are numbers (FP32), not ${tensor.datatype}`);
  }
  return values as number[];
}

/** Rows of a tensor of shape [N] or [N, 1]: one value per row. */
function column(tensor: RequestTensor, kind: 'numbers' | 'texts'): (number | string)[] {
  const [rows, width = 1, ...rest] = tensor.shape;
  if (rows === undefined || width !== 1 || rest.length) throw fail(`input ${tensor.name}: expected shape [N] or [N, 1], got [${tensor.shape.join(', ')}]`);
  return elements(tensor, kind);
}

/**
 * The predict inputs a v2 request's tensors carry, in the forms POST /v1/predict takes; the one
 * input check (modelInputs, in the predict submission) then checks them against the model.
 * - A text model: one BYTES tensor of shape [N], a text per row.
 * - A tabular model: one numeric tensor of shape [N, features] (rows in feature order, as the
 *   KServe scikit-learn examples send), or one tensor of shape [N] per feature, named by it (as the
 *   model's metadata describes), which become records keyed by feature name.
 */
export function predictInputs(model: Pick<ModelVersion, 'input' | 'feature_names'>, tensors: RequestTensor[]): RequestInput[] {
  if (isTextModel(model)) {
    if (tensors.length !== 1) throw fail(`a text model takes one input (${model.feature_names[0]}), not ${tensors.length}`);
    return column(tensors[0]!, 'texts') as string[];
  }
  const [only] = tensors;
  if (tensors.length === 1 && only!.shape.length === 2) {
    const width = only!.shape[1]!;
    const values = elements(only!, 'numbers') as number[];
    return Array.from({ length: only!.shape[0]! }, (_, row) => values.slice(row * width, (row + 1) * width));
  }
  const columns = tensors.map((tensor) => ({ name: tensor.name, values: column(tensor, 'numbers') as number[] }));
  const rows = columns[0]!.values.length;
  const uneven = columns.find((c) => c.values.length !== rows);
  if (uneven) throw fail(`input ${uneven.name} has ${uneven.values.length} rows, input ${columns[0]!.name} has ${rows}`);
  return Array.from({ length: rows }, (_, row) => Object.fromEntries(columns.map((c) => [c.name, c.values[row]!])));
}

const labelType = (classes: readonly (string | number)[]): Datatype =>
  classes.every((label) => typeof label === 'number') ? (classes.every(Number.isInteger) ? 'INT64' : 'FP64') : 'BYTES';

/** What a model version takes and gives, as the protocol's model metadata describes tensors. */
export function modelTensors(model: ModelVersion): { inputs: MetadataTensor[]; outputs: MetadataTensor[] } {
  const inputs: MetadataTensor[] = isTextModel(model)
    ? [{ name: model.feature_names[0]!, datatype: 'BYTES', shape: [-1] }]
    : model.feature_names.map((name) => ({ name, datatype: 'FP32', shape: [-1] }));
  const outputs: MetadataTensor[] =
    model.task === 'regression'
      ? [{ name: 'value', datatype: 'FP32', shape: [-1] }]
      : [
          { name: 'label', datatype: labelType(model.classes ?? []), shape: [-1] },
          { name: 'probabilities', datatype: 'FP32', shape: [-1, model.classes?.length ?? -1] },
        ];
  return { inputs, outputs };
}

/**
 * The response tensors for a version's predictions: `label` and `probabilities` (one column per
 * class, in the order the `classes` parameter names them) for classifiers, `value` for
 * regressors; only those asked for when the request names outputs.
 */
export function outputTensors(model: ModelVersion, predictions: readonly Prediction[], requested?: InferenceRequest['outputs']): ResponseTensor[] {
  const rows = predictions.length;
  const { outputs } = modelTensors(model);
  const unknown = requested?.find((output) => !outputs.some((known) => known.name === output.name));
  if (unknown) throw fail(`output ${unknown.name}: model "${model.model}" gives ${outputs.map((o) => o.name).join(', ')}`);
  const classes = model.classes ?? [];
  const data: Record<string, () => ResponseTensor> = {
    value: () => ({ name: 'value', datatype: 'FP32', shape: [rows], data: predictions.map((p) => ('value' in p ? p.value : Number.NaN)) }),
    label: () => ({ name: 'label', datatype: labelType(classes), shape: [rows], data: predictions.map((p) => ('label' in p ? p.label : '')) }),
    probabilities: () => ({
      name: 'probabilities',
      datatype: 'FP32',
      shape: [rows, classes.length],
      parameters: { classes: classes.join(',') },
      data: predictions.flatMap((p) => classes.map((label) => ('probabilities' in p ? (p.probabilities[String(label)] ?? 0) : 0))),
    }),
  };
  return outputs.filter((output) => !requested || requested.some((r) => r.name === output.name)).map((output) => data[output.name]!());
}
