import { describe, expect, it } from 'vitest';
import type { TaskResource } from '@trainyard/shared/tasks';
import { finishedTask } from '@trainyard/test-support/task-resources';
import { renderTaskEmail } from './task-email.js';

const publicUrl = 'https://trainyard.example.com/';

const task = (overrides: Partial<TaskResource>) => finishedTask({ result: null, finished_at: '2025-06-01T12:01:36.400Z', ...overrides });

const trained = task({
  result: { model: 'iris', version: 3, algorithm: 'mlp', metrics: { f1_macro: 0.9649, accuracy: 0.97 }, duration_ms: 4_210 },
});

describe('renderTaskEmail', () => {
  it('headlines a training with its model, version and accuracy', () => {
    expect(renderTaskEmail(trained, publicUrl).subject).toBe('[Trainyard] train iris v3 succeeded (accuracy 0.97)');
  });

  it('tells the outcome, model, metrics, duration and where to look in the text part', () => {
    const { text } = renderTaskEmail(trained, publicUrl);
    expect(text.split('\n')).toEqual([
      'Train iris v3 succeeded.',
      '',
      'Status:      succeeded',
      'Task:        train-00112233445566778899aabbccddeeff',
      'Model:       iris version 3',
      'Algorithm:   mlp',
      'Metrics:     f1_macro 0.9649, accuracy 0.97',
      'Duration:    4.21 s',
      'Finished:    2025-06-01T12:01:36.400Z',
      '',
      'Details: https://trainyard.example.com/v1/tasks/train-00112233445566778899aabbccddeeff',
      '',
    ]);
  });

  it('puts the same facts and a link in the HTML part', () => {
    const { html } = renderTaskEmail(trained, publicUrl);
    expect(html).toContain('<tr><th align="left">Metrics</th><td>f1_macro 0.9649, accuracy 0.97</td></tr>');
    expect(html).toContain('<a href="https://trainyard.example.com/v1/tasks/train-00112233445566778899aabbccddeeff">');
  });

  it('headlines a regression by its r2', () => {
    const regression = task({ result: { model: 'housing', version: 1, algorithm: 'linear-regression', metrics: { rmse: 51234.5678, r2: 0.61234 } } });
    expect(renderTaskEmail(regression, publicUrl).subject).toBe('[Trainyard] train housing v1 succeeded (r2 0.6123)');
    expect(renderTaskEmail(regression, publicUrl).text).toContain('Metrics:     rmse 51230, r2 0.6123');
  });

  it('counts the predictions of a prediction and measures its duration from the timestamps', () => {
    const predicted = task({
      task_id: 'predict-00112233445566778899aabbccddeeff',
      type: 'predict',
      result: { model: 'iris', version: 2, predictions: [{ value: 1 }, { value: 2 }, { value: 3 }] },
    });
    const email = renderTaskEmail(predicted, publicUrl);
    expect(email.subject).toBe('[Trainyard] predict iris v2 succeeded (3 predictions)');
    expect(email.text).toContain('Predictions: 3');
    expect(email.text).toContain('Duration:    1 min 35 s');
  });

  it('gives the error of a failed task, naming the model the caller passes', () => {
    const failedTask = task({ status: 'FAILURE', attempts: 3, error: { code: 'invalid_data', message: 'dataset "iris" has no\ncolumn "kind"' } });
    const email = renderTaskEmail(failedTask, 'http://localhost:3000', 'iris');
    expect(email.subject).toBe('[Trainyard] train iris failed (dataset "iris" has no column "kind")');
    expect(email.text).toContain('Error:       dataset "iris" has no\ncolumn "kind" (invalid_data)');
    expect(email.text).toContain('Attempts:    3');
    expect(email.text).toContain('Details: http://localhost:3000/v1/tasks/train-00112233445566778899aabbccddeeff');
  });

  it('keeps a long error out of the subject beyond 80 characters', () => {
    const failedTask = task({ status: 'FAILURE', error: { code: 'failed', message: 'x'.repeat(500) } });
    expect(renderTaskEmail(failedTask, publicUrl).subject).toBe(`[Trainyard] train failed (${'x'.repeat(79)}…)`);
  });

  it('says a revoked task was revoked', () => {
    const revoked = task({ type: 'predict', status: 'REVOKED', finished_at: null, started_at: null });
    expect(renderTaskEmail(revoked, publicUrl).subject).toBe('[Trainyard] predict revoked');
  });

  it('escapes every value it puts in HTML', () => {
    const hostile = task({
      status: 'FAILURE',
      result: { model: '<img src=x onerror=alert(1)>', algorithm: '"quoted" & \'single\'' },
      error: { code: '<b>code</b>', message: '<script>alert("pwned")</script>' },
    });
    const { html } = renderTaskEmail(hostile, publicUrl);
    expect(html).not.toMatch(/<(script|img|b)\b/);
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; (&lt;b&gt;code&lt;/b&gt;)');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&quot;quoted&quot; &amp; &#39;single&#39;');
  });
});
