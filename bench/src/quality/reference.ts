import { spawn } from 'node:child_process';
import { debianPython, referenceScript, type QualitySet, type Reference } from './datasets.js';

export interface ReferenceJob {
  id: string;
  model: Reference;
  set: QualitySet;
}

export interface ReferenceResult {
  /** Held-out accuracy or R². */
  score: number;
  /** Median of three fits. */
  fitMs: number;
}

/** Fits scikit-learn's reference models on the same train CSVs and scores them on the same test CSVs. */
export async function runReferences(jobs: readonly ReferenceJob[]): Promise<Map<string, ReferenceResult>> {
  const input = jobs
    .map(({ id, model, set }) => JSON.stringify({ id, model, train: set.trainCsv, test: set.testCsv, target: set.target, ...(set.text && { text: set.text }) }))
    .join('\n');
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(debianPython, [referenceScript, 'reference'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`${referenceScript} exited with code ${code}`))));
    child.stdin.end(input);
  });
  const results = new Map<string, ReferenceResult>();
  for (const line of output.split('\n').filter(Boolean)) {
    const { id, score, fit_ms: fitMs } = JSON.parse(line) as { id: string; score: number; fit_ms: number };
    results.set(id, { score, fitMs });
  }
  return results;
}
