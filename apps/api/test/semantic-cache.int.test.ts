import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSemanticThreshold } from '@trainyard/shared/cache';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { PrivateRedis } from '@trainyard/test-support/redis-server';

const prefix = testPrefix('semantic');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-semantic-'));
let cacheServer: PrivateRedis;
let cacheRedis: Redis;
let api: RunningProcess & { url: string };
let worker: RunningProcess;

/** Support tickets as the index holds them, and a reworded one a user might send next (or a near miss). */
const paraphrases: [cached: string, asked: string][] = [
  ['I was charged twice for the same order', 'I was charged two times for the same order'],
  ['please send me a copy of the invoice for my last payment', 'please send me the invoice for my last payment'],
  ['I want a refund for the premium plan, I never used it', 'I want my money back for the premium plan, I never used it'],
  ['why did my annual subscription renew without asking me', 'why did my annual subscription renew without asking'],
  ['the app crashes on my iPhone when I open the checkout page', 'the app crashes on my iPhone whenever I open the checkout page'],
  ['I get error 500 on the search page in Chrome', 'I get error 500 on the search page in Firefox'],
  ['the dashboard does not load since the update', 'the dashboard will not load since the update'],
  ['notifications do not arrive on my Android phone anymore', 'notifications no longer arrive on my Android phone'],
  ['my package has not arrived after two weeks', 'my parcel has not arrived after two weeks'],
  ['the delivery driver left my parcel at the wrong address', 'the courier left my parcel at the wrong address'],
  ['can I change the delivery address of my order', 'can I change the delivery address for my order'],
  ['the tracking number of my shipment does not work', 'the tracking number for my shipment does not work'],
  ['I forgot my password and cannot sign in', 'I forgot my password and cannot log in'],
  ['I never receive the reset email for my username', 'I never get the reset email for my username'],
  ['please delete my account and all my data', 'please close my account and delete all my data'],
  ['I changed my email address and now I cannot log in', 'I changed my email address and now I cannot sign in'],
  // Near misses: many shared words, but another kind of ticket; a hit is wrong if the model's own label differs.
  ['I was charged for a package that never arrived and want my money back', 'my package never arrived'],
  ['the tracking page shows error 500 instead of my order', 'where is my order, the tracking page shows nothing'],
  ['please update the billing address on my invoice', 'please update the delivery address on my order'],
  ['the website shows a timeout message when I try to pay', 'my payment failed and I was charged anyway'],
  ['I cannot log in on my laptop since the update', 'the app is very slow on my laptop since the update'],
  ['I changed my phone number and now I cannot log in', 'I changed my phone and now notifications do not arrive'],
];
/** Questions a user might type into any box, none about billing, technical trouble, shipping or accounts. */
const unrelated = [
  'what is the weather in Paris tomorrow',
  'how many calories are in a banana',
  'who won the football world cup in 2018',
  'what is the capital of Australia',
  'how do I bake sourdough bread at home',
  'recommend a good science fiction novel',
  'what time does the sun set in Oslo in June',
  'how tall is the Eiffel tower',
  'translate good morning into Japanese',
  'what is the square root of 144',
  'how do I tie a bow tie',
  'when was the Great Wall of China built',
  'what are the symptoms of the flu',
  'how far is the moon from the earth',
  'who painted the Mona Lisa',
  'what is a good name for a golden retriever puppy',
  'how long should I boil an egg',
  'what is the population of Brazil',
  'explain the theory of relativity simply',
  'which planets have rings',
  'how do I learn to play the guitar',
  'what should I pack for a hiking trip in the Alps',
  'is it going to rain this weekend in London',
  'how do volcanoes form',
  'what is the best way to grow tomatoes on a balcony',
  'who wrote Pride and Prejudice',
  'how many players are on a basketball team',
  'what is the boiling point of water at high altitude',
  'tell me a joke about cats',
  'how do I convert Celsius to Fahrenheit',
  'what are the rules of chess castling',
  'where do penguins live',
  'what is the fastest land animal',
  'how do I make a paper airplane',
  'what year did the first man walk on the moon',
  'suggest a vegetarian dinner recipe with lentils',
  'why is the sky blue',
  'how many bones are in the human body',
  'what is the difference between a crocodile and an alligator',
  'how do bees make honey',
  'what language is spoken in Brazil',
  'what is the tallest mountain in Africa',
  'how can I improve my marathon time',
  'what is photosynthesis',
  'which wine goes well with salmon',
  'how do I meditate for beginners',
  'what causes the northern lights',
  'how old is the universe',
  'what are some fun things to do in Rome',
  'how does a rainbow form',
  'what is the plot of Hamlet',
  'how do I clean a cast iron pan',
];
/** The threshold probe runs on its own pair, so no other request has cached its text exactly. */
const probe: [string, string] = ['the payment failed with my credit card but the money left my account', 'the payment failed with my debit card but the money left my account'];
const thresholds = [0.8, 0.85, 0.9, 0.95, 0.97, 0.99];
const nearMissesFrom = 16;

type Answer = { label: string; cached?: string; similarity?: number; matched_input?: string };

async function predict(inputs: string[], cache: unknown): Promise<Answer[]> {
  const submitted = await request(`${api.url}/v1/predict`, { body: { model: 'tickets', inputs, cache } });
  if (submitted.status === 200) return submitted.body.result.predictions;
  expect(submitted.status).toBe(202);
  const task = await waitForTask(api.url, submitted.body.task_id, ['SUCCESS', 'FAILURE'], 30_000);
  expect(task.status).toBe('SUCCESS');
  return (task.result as { predictions: Answer[] }).predictions;
}

beforeAll(async () => {
  cacheServer = await PrivateRedis.start();
  cacheRedis = new Redis(cacheServer.url);
  await cacheRedis.config('SET', 'maxmemory-policy', 'allkeys-lru');
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}`, CACHE_REDIS_URL: cacheServer.url };
  [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
  const submitted = await request(`${api.url}/v1/train`, {
    body: { model: 'tickets', algorithm: 'text-classifier', dataset: { name: 'tickets', text: 'text', target: 'label' }, params: { seed: 7 } },
  });
  expect((await waitForTask(api.url, submitted.body.task_id, ['SUCCESS', 'FAILURE'], 120_000)).status).toBe('SUCCESS');
  // Fill the index with the cached side of every pair.
  const seeded = await predict([...paraphrases.map(([cached]) => cached), probe[0]], { semantic: true, threshold: 1 });
  expect(seeded.every((answer) => answer.cached === undefined)).toBe(true);
}, 180_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  cacheRedis?.disconnect();
  await cacheServer?.stop();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

describe('embeddings', () => {
  it('embeds texts once, then answers each known text from the embedding cache', async () => {
    const texts = ['my parcel was left at the wrong door', 'the checkout page shows a blank screen'];
    const first = await request(`${api.url}/v1/embed`, { body: { model: 'tickets', inputs: texts } });
    expect(first.status).toBe(202);
    const task = await waitForTask(api.url, first.body.task_id);
    const { embeddings } = task.result as { embeddings: number[][] };
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]!.length).toBeGreaterThan(1);

    const again = await request(`${api.url}/v1/embed`, { body: { model: 'tickets', inputs: [texts[1], texts[0]] } });
    expect(again.status).toBe(200);
    expect(again.body.result).toMatchObject({ model: 'tickets', version: 1, cached: true, embeddings: [embeddings[1], embeddings[0]] });

    const fresh = await request(`${api.url}/v1/embed`, { body: { model: 'tickets', inputs: texts, cache: false } });
    expect(fresh.status).toBe(202);
    expect((await waitForTask(api.url, fresh.body.task_id)).status).toBe('SUCCESS');
  });

  it('precomputes a dataset\'s embeddings in the background, after which its texts are cache reads', async () => {
    const submitted = await request(`${api.url}/v1/embed`, { body: { model: 'tickets', dataset: 'tickets' } });
    expect(submitted.status).toBe(202);
    const task = await waitForTask(api.url, submitted.body.task_id, ['SUCCESS', 'FAILURE'], 60_000);
    expect(task.status).toBe('SUCCESS');
    const { texts, embedded } = task.result as { texts: number; embedded: number };
    expect(texts).toBeGreaterThan(400);
    expect(embedded).toBeLessThanOrEqual(texts);
    expect(embedded).toBeGreaterThan(texts - 10);
    const known = await request(`${api.url}/v1/embed`, {
      body: { model: 'tickets', inputs: ['images are broken on the dashboard in Safari', 'the search page does not load since the update'] },
    });
    expect(known.status).toBe(200);
    expect(known.body.result.cached).toBe(true);

    const again = await request(`${api.url}/v1/embed`, { body: { model: 'tickets', dataset: 'tickets' } });
    expect((await waitForTask(api.url, again.body.task_id)).result).toMatchObject({ texts, embedded: 0 });
    const neither = await request(`${api.url}/v1/embed`, { body: { model: 'tickets' } });
    expect(neither.status).toBe(400);
    const missing = await request(`${api.url}/v1/embed`, { body: { model: 'tickets', dataset: 'no-such-data' } });
    expect(missing.status).toBe(404);
  });

  it('keeps embeddings and predictions of the same text apart', async () => {
    const text = 'I was charged twice for my parcel';
    await request(`${api.url}/v1/embed`, { body: { model: 'tickets', inputs: [text] } }).then((r) => waitForTask(api.url, r.body.task_id));
    const [prediction] = await predict([text], undefined);
    expect(prediction).toHaveProperty('label');
  });
});

describe('semantic cache', () => {
  it('answers a text at least `threshold` similar to a cached one from the cache, and runs the model below it', async () => {
    const [nearest] = await predict([probe[1]], { semantic: true, threshold: 0 });
    expect(nearest).toMatchObject({ cached: 'semantic', matched_input: probe[0] });
    const similarity = nearest!.similarity!;
    expect(similarity).toBeLessThan(1);

    const [hit] = await predict([probe[1]], { semantic: true, threshold: similarity - 0.001 });
    expect(hit).toMatchObject({ cached: 'semantic', matched_input: probe[0] });
    const [miss] = await predict([probe[1]], { semantic: true, threshold: Math.min(1, similarity + 0.001) });
    expect(miss!.cached).toBeUndefined();
    expect(miss).toHaveProperty('probabilities');
  });

  it('stores each text\'s embedding once, even when a batch repeats it', async () => {
    const entries = `${prefix}:cache:semantic:tickets:1:entries`;
    const before = await cacheRedis.llen(entries);
    const text = 'is there a way to pay the bill by bank transfer';
    await predict([text, text], { semantic: true, threshold: 1 });
    expect(await cacheRedis.llen(entries)).toBe(before + 1);
    // One embedding per entry: the vectors string grows by exactly one vector's bytes.
    const bytes = await cacheRedis.strlen(`${prefix}:cache:semantic:tickets:1:vectors`);
    expect(bytes % (before + 1)).toBe(0);
  });

  it('has a default threshold with hits on paraphrases and no wrong hits', async () => {
    // threshold 0: every paraphrase takes its nearest cached ticket, so one pass measures every threshold.
    const nearest = await predict(paraphrases.map(([, asked]) => asked), { semantic: true, threshold: 0 });
    const own = await predict(paraphrases.map(([, asked]) => asked), false);
    const rows = thresholds.map((threshold) => {
      const hits = nearest.map((answer, i) => ({ answer, i })).filter(({ answer }) => answer.similarity! >= threshold);
      const wrong = hits.filter(({ answer, i }) => answer.label !== own[i]!.label).length;
      const nearMissHits = hits.filter(({ i }) => i >= nearMissesFrom).length;
      return { threshold, hitRate: hits.length / paraphrases.length, nearMissHits, wrongHitRate: hits.length ? wrong / hits.length : 0 };
    });
    const table = rows.map((r) => `  threshold ${r.threshold}: hit rate ${r.hitRate.toFixed(2)} (near misses hit: ${r.nearMissHits}/${paraphrases.length - nearMissesFrom}), wrong hits ${r.wrongHitRate.toFixed(2)}`);
    console.log(`paraphrase set (${paraphrases.length} pairs):\n${table.join('\n')}`);
    const chosen = rows.find((row) => row.threshold === defaultSemanticThreshold)!;
    expect(chosen.hitRate).toBeGreaterThan(0);
    expect(chosen.wrongHitRate).toBe(0);
  });

  it('at the default threshold answers paraphrases from the cache (≥ 90 %) and no unrelated question at all', async () => {
    // From a fresh index (and no exact entries) holding the cached side of every pair, as at the start.
    expect((await request(`${api.url}/v1/models/tickets/cache`, { method: 'DELETE' })).status).toBe(200);
    await predict(paraphrases.map(([cached]) => cached), { semantic: true, threshold: 1 });
    const asked = await predict(paraphrases.slice(0, nearMissesFrom).map(([, question]) => question), { semantic: true });
    const hits = asked.filter((answer) => answer.cached === 'semantic').length;
    // One request: no unrelated question can match another one indexed a moment before.
    const strangers = await predict(unrelated, { semantic: true });
    const strayHits = strangers.filter((answer) => answer.cached === 'semantic').map((answer, i) => `${unrelated[i]} → ${answer.matched_input}`);
    console.log(`default threshold ${defaultSemanticThreshold}: ${hits}/${nearMissesFrom} paraphrases hit; ${strayHits.length}/${unrelated.length} unrelated questions hit`);
    expect(hits / nearMissesFrom).toBeGreaterThanOrEqual(0.9);
    expect(unrelated.length).toBeGreaterThanOrEqual(50);
    expect(strayHits).toEqual([]);
  });
});
