/**
 * Adam (Kingma & Ba, 2015) over a network's parameters held as typed arrays, with an L2 penalty's
 * gradient (2·l2·w) added to the kernels. Run on the CPU between two tfjs steps: a network of a
 * few thousand weights updates in microseconds here, where tfjs' Adam costs some 14 backend ops per
 * variable and step, which dominated a step on the wasm backend.
 */
/** Where Adam stands: its step count and both moments of every parameter array. */
export interface AdamState {
  steps: number;
  firstMoments: Float32Array[];
  secondMoments: Float32Array[];
}

export class Adam {
  private readonly firstMoments: Float32Array[];
  private readonly secondMoments: Float32Array[];
  private steps = 0;

  constructor(
    sizes: readonly number[],
    private readonly learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    // tfjs' default for float32.
    private readonly epsilon = 1e-7,
  ) {
    this.firstMoments = sizes.map((size) => new Float32Array(size));
    this.secondMoments = sizes.map((size) => new Float32Array(size));
  }

  /** The live state (not a copy): read it before the next step. */
  state(): AdamState {
    return { steps: this.steps, firstMoments: this.firstMoments, secondMoments: this.secondMoments };
  }

  /** Continues from a saved state, exactly where it stood. */
  restore(state: AdamState): void {
    this.steps = state.steps;
    this.firstMoments.forEach((m, i) => m.set(state.firstMoments[i]!));
    this.secondMoments.forEach((v, i) => v.set(state.secondMoments[i]!));
  }

  /** Moves every parameter array against its gradient, in place; `penalized[i]` adds 2·l2·w to gradient i. */
  step(parameters: readonly Float32Array[], gradients: readonly ArrayLike<number>[], l2: number, penalized: readonly boolean[]): void {
    this.steps++;
    const { beta1, beta2, epsilon } = this;
    const rate = (this.learningRate * Math.sqrt(1 - beta2 ** this.steps)) / (1 - beta1 ** this.steps);
    parameters.forEach((values, p) => {
      const gradient = gradients[p]!;
      const m = this.firstMoments[p]!;
      const v = this.secondMoments[p]!;
      const decay = penalized[p] ? 2 * l2 : 0;
      for (let i = 0; i < values.length; i++) {
        const g = gradient[i]! + decay * values[i]!;
        m[i] = beta1 * m[i]! + (1 - beta1) * g;
        v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
        values[i]! -= (rate * m[i]!) / (Math.sqrt(v[i]!) + epsilon);
      }
    });
  }
}
