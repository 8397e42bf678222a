import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError, NotFoundError } from '../platform/errors.js';
import { defaultTenant } from '../platform/tenants.js';
import { FsObjectStore } from '../storage/fs-store.js';
import { storageKeys } from '../storage/keys.js';
import { builtInDatasets, seedBuiltInDatasets } from './samples.js';
import { loadTrainingData, parseCsv, trainingDataFromInline, trainingDataFromTable } from './training-data.js';

const dataError = (message: RegExp) => expect.objectContaining({ name: 'DataError', code: 'invalid_data', message: expect.stringMatching(message) });

describe('parseCsv', () => {
  it('reads quoted fields, a byte order mark and blank lines, and knows each row\'s line', () => {
    const table = parseCsv('\ufeffname,"note, quoted"\n\n"a ""b""",1\n"multi\nline",2\n');
    expect(table.columns).toEqual(['name', 'note, quoted']);
    expect(table.rows).toEqual([['a "b"', '1'], ['multi\nline', '2']]);
    expect(table.lines).toEqual([3, 5]);
  });

  it('accepts a Buffer', () => {
    expect(parseCsv(Buffer.from('a,b\n1,2\n')).rows).toEqual([['1', '2']]);
  });

  it('rejects an empty file', () => {
    expect(() => parseCsv('')).toThrow(dataError(/empty/));
    expect(() => parseCsv('\n\n')).toThrow(DataError);
  });

  it('rejects a header with a blank or repeated column name, naming its line', () => {
    expect(() => parseCsv('\na,,c\n1,2,3\n')).toThrow(dataError(/header \(line 2\): column 2 has no name/));
    expect(() => parseCsv('a,b,a\n1,2,3\n')).toThrow(dataError(/column "a" appears twice/));
  });

  it('names the line of a row with the wrong number of fields', () => {
    expect(() => parseCsv('a,b,c\n1,2,3\n4,5\n')).toThrow(dataError(/^line 3 has 2 fields, the header has 3$/));
  });

  it('turns a malformed quote into a DataError naming the line', () => {
    expect(() => parseCsv('a,b\n1,2\n3,"open\n')).toThrow(dataError(/invalid CSV: .*line 3/));
  });
});

describe('trainingDataFromTable', () => {
  it('makes every other column a numeric feature and keeps text labels as strings', () => {
    const data = trainingDataFromTable(parseCsv('x,kind,y\n1.5,cat,-2\n.5,dog,1e3\n'), 'kind');
    expect(data).toEqual({ featureNames: ['x', 'y'], features: [[1.5, -2], [0.5, 1000]], labels: ['cat', 'dog'] });
  });

  it('makes labels numbers when every target value is numeric', () => {
    expect(trainingDataFromTable(parseCsv('x,y\n1,10\n2,20.5\n'), 'y').labels).toEqual([10, 20.5]);
    expect(trainingDataFromTable(parseCsv('x,y\n1,10\n2,b\n'), 'y').labels).toEqual(['10', 'b']);
  });

  it('names the file line, data row and column of a non-numeric or empty cell', () => {
    const csv = 'a,b,label\n1,2,x\n\n3,abc,y\n';
    expect(() => trainingDataFromTable(parseCsv(csv), 'label')).toThrow(
      dataError(/^line 4 \(data row 2\), column "b": "abc" is not a number$/),
    );
    expect(() => trainingDataFromTable(parseCsv('a,label\n1,x\n,y\n'), 'label')).toThrow(
      dataError(/line 3 \(data row 2\), column "a": is empty/),
    );
    expect(() => trainingDataFromTable(parseCsv('a,label\n1,x\n2,\n'), 'label')).toThrow(
      dataError(/line 3 \(data row 2\), column "label": is empty/),
    );
  });

  it('does not take hexadecimal or Infinity for numbers', () => {
    expect(() => trainingDataFromTable(parseCsv('a,label\n0x10,x\n1,y\n'), 'label')).toThrow(dataError(/"0x10" is not a number/));
    expect(() => trainingDataFromTable(parseCsv('a,label\nInfinity,x\n1,y\n'), 'label')).toThrow(DataError);
  });

  it('refuses numbers too large for a number (1e400 reads as Infinity), naming line and column', () => {
    expect(() => trainingDataFromTable(parseCsv('a,b,label\n1,2,x\n3,1e400,y\n'), 'label')).toThrow(
      dataError(/^line 3 \(data row 2\), column "b": 1e400 is out of range \(not a finite number\)$/),
    );
    expect(() => trainingDataFromTable(parseCsv('a,price\n1,2\n3,-1e999\n'), 'price')).toThrow(dataError(/line 3 \(data row 2\), column "price": -1e999 is out of range/));
  });

  it('names an unknown target and lists the columns', () => {
    expect(() => trainingDataFromTable(parseCsv('a,b\n1,2\n3,4\n'), 'price')).toThrow(
      dataError(/^no target column "price"; the columns are: a, b$/),
    );
  });

  it('needs a feature column and two rows', () => {
    expect(() => trainingDataFromTable(parseCsv('y\n1\n2\n'), 'y')).toThrow(dataError(/no feature columns/));
    expect(() => trainingDataFromTable(parseCsv('x,y\n1,2\n'), 'y')).toThrow(dataError(/1 data rows/));
  });
});

describe('trainingDataFromInline', () => {
  it('names features x0..xN unless told otherwise', () => {
    const inline = { features: [[1, 2], [3, 4]], labels: [0, 1] };
    expect(trainingDataFromInline(inline)).toEqual({ featureNames: ['x0', 'x1'], ...inline });
    expect(trainingDataFromInline(inline, ['a', 'b']).featureNames).toEqual(['a', 'b']);
    expect(() => trainingDataFromInline(inline, ['a'])).toThrow(DataError);
  });

  it('treats mixed labels as text classes', () => {
    expect(trainingDataFromInline({ features: [[1], [2]], labels: [1, 'b'] }).labels).toEqual(['1', 'b']);
  });

  it('rejects ragged rows and a label count that does not match', () => {
    expect(() => trainingDataFromInline({ features: [[1, 2], [3]], labels: [0, 1] })).toThrow(dataError(/row 1 has 1 values/));
    expect(() => trainingDataFromInline({ features: [[1], [2]], labels: [0] })).toThrow(dataError(/1 labels for 2/));
  });
});

describe('built-in datasets in storage', () => {
  let root: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ty-datasets-'));
    store = new FsObjectStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('seeds every sample once and never overwrites what is stored', async () => {
    await store.put(storageKeys(defaultTenant).dataset('housing'), 'a,b\n1,2\n3,4\n');
    expect(await seedBuiltInDatasets(store)).toEqual(['iris', 'tickets']);
    expect(await seedBuiltInDatasets(store)).toEqual([]);
    expect((await store.get(storageKeys(defaultTenant).dataset('housing')))!.toString()).toBe('a,b\n1,2\n3,4\n');
  });

  it('loads iris by name: 150 flowers, 4 measurements, 3 species', async () => {
    await seedBuiltInDatasets(store);
    const iris = await loadTrainingData(store, defaultTenant, { name: 'iris', target: builtInDatasets.iris!.target });
    expect(iris.featureNames).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(iris.features).toHaveLength(150);
    expect(new Set(iris.labels)).toEqual(new Set(['setosa', 'versicolor', 'virginica']));
    expect(iris.labels.filter((label) => label === 'virginica')).toHaveLength(50);
  });

  it('loads the housing sample with numeric prices', async () => {
    await seedBuiltInDatasets(store);
    const housing = await loadTrainingData(store, defaultTenant, { name: 'housing', target: builtInDatasets.housing!.target });
    expect(housing.featureNames).toEqual(['area_m2', 'rooms', 'age_years', 'distance_km']);
    expect(housing.features.length).toBeGreaterThanOrEqual(200);
    expect(housing.labels.every((price) => typeof price === 'number' && price > 0)).toBe(true);
  });

  it('throws NotFoundError for a dataset that is not stored', async () => {
    await expect(loadTrainingData(store, defaultTenant, { name: 'nope', target: 'y' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("gives every tenant the built-in samples, and each tenant only its own uploads", async () => {
    await seedBuiltInDatasets(store);
    await store.put(storageKeys('acme').dataset('points'), 'x,y\n1,2\n3,4\n');
    expect((await loadTrainingData(store, 'acme', { name: 'iris', target: 'species' })).features).toHaveLength(150);
    expect((await loadTrainingData(store, 'acme', { name: 'points', target: 'y' })).features).toEqual([[1], [3]]);
    await expect(loadTrainingData(store, defaultTenant, { name: 'points', target: 'y' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(loadTrainingData(store, 'globex', { name: 'points', target: 'y' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('converts inline data without touching storage', async () => {
    const data = await loadTrainingData(store, defaultTenant, { inline: { features: [[1], [2]], labels: ['a', 'b'] } });
    expect(data).toEqual({ featureNames: ['x0'], features: [[1], [2]], labels: ['a', 'b'] });
  });
});
