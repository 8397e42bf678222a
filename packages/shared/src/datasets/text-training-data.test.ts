import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictRequest } from '../jobs/predict.js';
import { isTextDatasetRef, trainRequest } from '../jobs/train.js';
import { NotFoundError } from '../platform/errors.js';
import { defaultTenant } from '../platform/tenants.js';
import { FsObjectStore } from '../storage/fs-store.js';
import { seedBuiltInDatasets } from './samples.js';
import { loadTextTrainingData, parseCsv, textTrainingDataFromInline, textTrainingDataFromTable } from './training-data.js';

const dataError = (message: RegExp) => expect.objectContaining({ name: 'DataError', message: expect.stringMatching(message) });

describe('text training data from a CSV', () => {
  const table = parseCsv('id,review,stars\n1,"Great, works well",5\n2,broke after a day,1\n3,,3\n');

  it('reads the text column and the target, ignoring other columns; numeric labels stay numbers', () => {
    expect(textTrainingDataFromTable(table, 'review', 'stars')).toEqual({
      textName: 'review',
      texts: ['Great, works well', 'broke after a day', ''],
      labels: [5, 1, 3],
    });
  });

  it('names the missing column and the line of an empty label', () => {
    expect(() => textTrainingDataFromTable(table, 'body', 'stars')).toThrow(dataError(/no text column "body"; the columns are: id, review, stars/));
    expect(() => textTrainingDataFromTable(table, 'review', 'label')).toThrow(dataError(/no target column "label"/));
    expect(() => textTrainingDataFromTable(table, 'stars', 'stars')).toThrow(dataError(/both the text and the target/));
    const gap = parseCsv('text,label\nfine,a\nbad,\n');
    expect(() => textTrainingDataFromTable(gap, 'text', 'label')).toThrow(dataError(/line 3 \(data row 2\), column "label": is empty/));
  });

  it('inline texts keep one label type, so "1" and 1 are one class', () => {
    expect(textTrainingDataFromInline({ texts: ['a', 'b'], labels: [1, 'x'] })).toEqual({ textName: 'text', texts: ['a', 'b'], labels: ['1', 'x'] });
    expect(() => textTrainingDataFromInline({ texts: ['a', 'b'], labels: ['x'] })).toThrow(dataError(/1 labels for 2 texts/));
  });
});

describe('the tickets sample', () => {
  let root: string;
  let store: FsObjectStore;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ty-text-datasets-'));
    store = new FsObjectStore(root);
    await seedBuiltInDatasets(store);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('is seeded and loads by name: 480 tickets in 4 classes', async () => {
    const tickets = await loadTextTrainingData(store, defaultTenant, { name: 'tickets', text: 'text', target: 'label' });
    expect(tickets.texts).toHaveLength(480);
    expect(new Set(tickets.labels)).toEqual(new Set(['billing', 'technical', 'shipping', 'account']));
    expect(tickets.texts.every((text) => text.length > 10)).toBe(true);
  });

  it('throws NotFoundError for a dataset that is not stored', async () => {
    await expect(loadTextTrainingData(store, defaultTenant, { name: 'nope', text: 'text', target: 'label' })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('request schemas for text models', () => {
  it('text-classifier takes a dataset that names its text column, or inline texts', () => {
    const named = trainRequest.parse({ model: 'triage', algorithm: 'text-classifier', dataset: { name: 'tickets', text: 'text', target: 'label' } });
    expect(named.params).toMatchObject({ embedding_dim: 256, max_length: 32 });
    expect(isTextDatasetRef(named.dataset)).toBe(true);
    const inline = trainRequest.parse({ model: 'triage', algorithm: 'text-classifier', dataset: { inline: { texts: ['a', 'b'], labels: ['x', 'y'] } } });
    expect(isTextDatasetRef(inline.dataset)).toBe(true);
  });

  it('refuses a tabular dataset for text-classifier, texts for a tabular algorithm, and unknown params', () => {
    const bad = [
      { algorithm: 'text-classifier', dataset: { name: 'tickets', target: 'label' } },
      { algorithm: 'text-classifier', dataset: { inline: { texts: ['a', 'b'], labels: ['x'] } } },
      { algorithm: 'text-classifier', dataset: { name: 'tickets', text: 'text', target: 'label' }, params: { hidden_units: [4] } },
      { algorithm: 'mlp', dataset: { name: 'tickets', text: 'text', target: 'label' } },
    ];
    for (const body of bad) expect(trainRequest.safeParse({ model: 'triage', ...body }).success).toBe(false);
    expect(isTextDatasetRef({ name: 'iris', target: 'species' })).toBe(false);
  });

  it('predict takes texts and an output, prediction by default', () => {
    expect(predictRequest.parse({ model: 'triage', inputs: ['my parcel is late'] })).toMatchObject({ output: 'prediction' });
    expect(predictRequest.parse({ model: 'triage', inputs: ['a'], output: 'embedding' }).output).toBe('embedding');
    expect(predictRequest.safeParse({ model: 'triage', inputs: ['a'], output: 'logits' }).success).toBe(false);
  });
});
