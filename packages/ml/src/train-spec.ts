import { algorithmParams, type Algorithm, type AlgorithmParams } from '@trainyard/shared/jobs';

/** An algorithm with its validated hyper-parameters; narrowing on `algorithm` narrows `params`. */
export type TrainSpec = { [A in Algorithm]: { algorithm: A; params: AlgorithmParams<A> } }[Algorithm];

/** Validates raw job parameters for the algorithm (throws the ZodError) and applies its defaults. */
export function parseTrainSpec(algorithm: Algorithm, params: unknown): TrainSpec {
  // TypeScript cannot tie the schema picked by a runtime key to that key's output type.
  return { algorithm, params: algorithmParams[algorithm].parse(params) } as TrainSpec;
}
