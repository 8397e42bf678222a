import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '@trainyard/shared/models';
import { InvalidRequestError } from '@trainyard/shared/platform';
import { inferenceRequest, modelTensors, outputTensors, predictInputs } from './tensors.js';

const iris = {
  model: 'iris',
  version: 2,
  task: 'classification',
  input: 'tabular',
  feature_names: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
  classes: ['setosa', 'versicolor', 'virginica'],
} as ModelVersion;
const prices = { model: 'prices', version: 1, task: 'regression', feature_names: ['rooms', 'area'] } as ModelVersion;
const tickets = { model: 'tickets', version: 1, task: 'classification', input: 'text', feature_names: ['text'], classes: [0, 1] } as ModelVersion;

const tensorsOf = (body: unknown) => inferenceRequest.parse(body).inputs;
const failure = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidRequestError');
};

/** The protocol's own example request (inference_rest.md, "Inference Request Examples"). */
const specExample = {
  id: '42',
  inputs: [
    { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
    { name: 'input1', shape: [3], datatype: 'BOOL', data: [true] },
  ],
  outputs: [{ name: 'output0' }],
};

/** KServe's scikit-learn iris example for the v2 protocol: one FP32 tensor of shape [2, 4]. */
const kserveIris = { inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]] }] };

describe('the inference request', () => {
  it('parses the protocol’s example request, ids and requested outputs included', () => {
    expect(inferenceRequest.parse(specExample)).toMatchObject({ id: '42', outputs: [{ name: 'output0' }] });
  });

  it('refuses a datatype the protocol does not define', () => {
    expect(inferenceRequest.safeParse({ inputs: [{ name: 'x', shape: [1], datatype: 'FLOAT', data: [1] }] }).success).toBe(false);
  });
});

describe('predictInputs', () => {
  it('reads a [N, features] tensor as rows in feature order, nested or flattened alike', () => {
    const rows = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]];
    expect(predictInputs(iris, tensorsOf(kserveIris))).toEqual(rows);
    const flat = { inputs: [{ ...kserveIris.inputs[0], data: rows.flat() }] };
    expect(predictInputs(iris, tensorsOf(flat))).toEqual(rows);
  });

  it('reads one [N] tensor per feature as records keyed by feature name', () => {
    const body = {
      inputs: [
        { name: 'area', shape: [2], datatype: 'FP64', data: [80, 120] },
        { name: 'rooms', shape: [2, 1], datatype: 'INT32', data: [[3], [5]] },
      ],
    };
    expect(predictInputs(prices, tensorsOf(body))).toEqual([
      { area: 80, rooms: 3 },
      { area: 120, rooms: 5 },
    ]);
  });

  it('refuses the protocol’s example request for an iris model, naming the tensor', () => {
    expect(failure(() => predictInputs(iris, tensorsOf(specExample)))).toBe('input input0: expected shape [N] or [N, 1], got [2, 2]');
  });

  it('refuses data that does not fill its shape', () => {
    const short = { inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: [1, 2, 3] }] };
    expect(failure(() => predictInputs(iris, tensorsOf(short)))).toBe('input input-0: shape [2, 4] holds 8 values, data has 3');
  });

  it('refuses texts for features, and columns of different lengths', () => {
    const texts = { inputs: [{ name: 'rooms', shape: [1], datatype: 'BYTES', data: ['three'] }] };
    expect(failure(() => predictInputs(prices, tensorsOf(texts)))).toBe('input rooms: features are numbers (FP32), not BYTES');
    const uneven = {
      inputs: [
        { name: 'rooms', shape: [2], datatype: 'FP32', data: [1, 2] },
        { name: 'area', shape: [1], datatype: 'FP32', data: [3] },
      ],
    };
    expect(failure(() => predictInputs(prices, tensorsOf(uneven)))).toBe('input area has 1 rows, input rooms has 2');
  });

  it('reads a text model’s one BYTES tensor as texts', () => {
    const body = { inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['my card was charged twice', 'hello'] }] };
    expect(predictInputs(tickets, tensorsOf(body))).toEqual(['my card was charged twice', 'hello']);
    const numbers = { inputs: [{ name: 'text', shape: [1], datatype: 'FP32', data: [1] }] };
    expect(failure(() => predictInputs(tickets, tensorsOf(numbers)))).toBe('input text: a text model takes BYTES (strings)');
  });
});

describe('model metadata', () => {
  it('describes a tabular classifier: an FP32 input per feature, a label and a probability per class', () => {
    expect(modelTensors(iris)).toEqual({
      inputs: iris.feature_names.map((name) => ({ name, datatype: 'FP32', shape: [-1] })),
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
      ],
    });
  });

  it('describes a text model’s BYTES input, integer labels and a regressor’s value', () => {
    expect(modelTensors(tickets).inputs).toEqual([{ name: 'text', datatype: 'BYTES', shape: [-1] }]);
    expect(modelTensors(tickets).outputs[0]).toEqual({ name: 'label', datatype: 'INT64', shape: [-1] });
    expect(modelTensors(prices).outputs).toEqual([{ name: 'value', datatype: 'FP32', shape: [-1] }]);
  });
});

describe('outputTensors', () => {
  const predictions = [
    { label: 'versicolor', probabilities: { setosa: 0.1, versicolor: 0.7, virginica: 0.2 } },
    { label: 'setosa', probabilities: { setosa: 0.9, versicolor: 0.06, virginica: 0.04 } },
  ];

  it('gives labels and row-major probabilities in the order the classes parameter names', () => {
    expect(outputTensors(iris, predictions)).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [2], data: ['versicolor', 'setosa'] },
      { name: 'probabilities', datatype: 'FP32', shape: [2, 3], parameters: { classes: 'setosa,versicolor,virginica' }, data: [0.1, 0.7, 0.2, 0.9, 0.06, 0.04] },
    ]);
  });

  it('gives only the outputs asked for, and refuses one the model does not have', () => {
    expect(outputTensors(iris, predictions, [{ name: 'label' }]).map((t) => t.name)).toEqual(['label']);
    expect(failure(() => outputTensors(iris, predictions, [{ name: 'output0' }]))).toBe('output output0: model "iris" gives label, probabilities');
  });

  it('gives a regressor’s values', () => {
    expect(outputTensors(prices, [{ value: 312.5 }, { value: 120 }])).toEqual([{ name: 'value', datatype: 'FP32', shape: [2], data: [312.5, 120] }]);
  });
});
