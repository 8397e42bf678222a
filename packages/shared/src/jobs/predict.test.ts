import { describe, expect, it } from 'vitest';
import { modelInputs } from '../models/inputs.js';
import { predictRequest } from './predict.js';

describe('predict inputs keyed by feature name', () => {
  it('keep features named __proto__ and constructor as plain data', () => {
    const request = predictRequest.parse(JSON.parse('{"model":"m","inputs":[{"__proto__":1,"constructor":2}]}'));
    const rows = modelInputs({ model: 'm', feature_names: ['__proto__', 'constructor'] }, request.inputs);
    expect(rows).toEqual([[1, 2]]);
    expect(Object.getPrototypeOf(request.inputs[0])).toBe(Object.prototype);
  });

  it('still refuse a record missing one of them, or with a value that is not a number', () => {
    const { inputs } = predictRequest.parse(JSON.parse('{"model":"m","inputs":[{"constructor":2}]}'));
    expect(() => modelInputs({ model: 'm', feature_names: ['__proto__', 'constructor'] }, inputs)).toThrow(/missing __proto__/);
    expect(predictRequest.safeParse(JSON.parse('{"model":"m","inputs":[{"__proto__":"x"}]}')).success).toBe(false);
    expect(predictRequest.safeParse(JSON.parse('{"model":"m","inputs":[{"":1}]}')).success).toBe(false);
  });
});
