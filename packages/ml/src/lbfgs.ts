/** Writes the gradient at `x` into `gradient` and returns the function's value there. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  maxIterations: number;
  /** Converged once the largest gradient component is at most this. */
  gradientTolerance: number;
  /** Converged once an iteration lowers the value by at most this share of it. */
  relativeTolerance: number;
  /** After every iteration; awaited, so it may yield to the event loop or throw to stop. */
  onIteration?: (iteration: number, value: number, x: Float64Array) => Promise<void> | void;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

/** Correction pairs kept: the usual choice, enough for smooth convex problems. */
const memory = 10;
/** Armijo's sufficient-decrease constant. */
const armijo = 1e-4;
const maxHalvings = 40;

/**
 * Limited-memory BFGS (Nocedal & Wright, algorithm 7.4) with a backtracking line search, for
 * smooth convex objectives such as regularized cross-entropy. Every evaluation is one pass over
 * the data, so a fit costs a few dozen passes.
 */
export async function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions): Promise<LbfgsResult> {
  const size = start.length;
  let x = Float64Array.from(start);
  let gradient = new Float64Array(size);
  let value = objective(x, gradient);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const curvatures: number[] = [];
  const direction = new Float64Array(size);
  const alpha = new Float64Array(memory);
  let next = new Float64Array(size);
  let nextGradient = new Float64Array(size);

  for (let iteration = 1; iteration <= options.maxIterations; iteration++) {
    if (maxAbs(gradient) <= options.gradientTolerance) return { x, value, iterations: iteration - 1, converged: true };
    searchDirection(gradient, steps, changes, curvatures, direction, alpha);
    let slope = dot(direction, gradient);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      steps.length = changes.length = curvatures.length = 0;
      for (let i = 0; i < size; i++) direction[i] = -gradient[i]!;
      slope = dot(direction, gradient);
    }
    // Without curvature pairs the direction is the raw gradient: start with a step of unit length.
    let step = steps.length ? 1 : Math.min(1, 1 / Math.sqrt(-slope));
    let nextValue = Number.POSITIVE_INFINITY;
    for (let halving = 0; halving <= maxHalvings; halving++) {
      for (let i = 0; i < size; i++) next[i] = x[i]! + step * direction[i]!;
      nextValue = objective(next, nextGradient);
      if (nextValue <= value + armijo * step * slope) break;
      step /= 2;
    }
    // No step lowers the value any more: at the minimum, as far as floating point can tell.
    if (!(nextValue < value)) return { x, value, iterations: iteration - 1, converged: true };

    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = next[i]! - x[i]!;
      y[i] = nextGradient[i]! - gradient[i]!;
    }
    const sy = dot(s, y);
    // A pair without positive curvature would break the inverse-Hessian model: leave it out.
    if (sy > 1e-12 * dot(y, y)) {
      if (steps.length === memory) {
        steps.shift();
        changes.shift();
        curvatures.shift();
      }
      steps.push(s);
      changes.push(y);
      curvatures.push(1 / sy);
    }
    const decrease = value - nextValue;
    [x, next] = [next, x];
    [gradient, nextGradient] = [nextGradient, gradient];
    value = nextValue;
    await options.onIteration?.(iteration, value, x);
    if (decrease <= options.relativeTolerance * Math.max(Math.abs(value), 1)) return { x, value, iterations: iteration, converged: true };
  }
  return { x, value, iterations: options.maxIterations, converged: maxAbs(gradient) <= options.gradientTolerance };
}

/** The two-loop recursion: direction = −H·gradient, H the inverse-Hessian estimate from the pairs kept. */
function searchDirection(
  gradient: Float64Array,
  steps: Float64Array[],
  changes: Float64Array[],
  curvatures: number[],
  direction: Float64Array,
  alpha: Float64Array,
): void {
  const size = gradient.length;
  for (let i = 0; i < size; i++) direction[i] = -gradient[i]!;
  for (let m = steps.length - 1; m >= 0; m--) {
    alpha[m] = curvatures[m]! * dot(steps[m]!, direction);
    axpy(-alpha[m]!, changes[m]!, direction);
  }
  const last = steps.length - 1;
  if (last >= 0) {
    // Scales the initial Hessian to the latest curvature (N&W 7.20).
    const gamma = 1 / (curvatures[last]! * dot(changes[last]!, changes[last]!));
    for (let i = 0; i < size; i++) direction[i]! *= gamma;
  }
  for (let m = 0; m < steps.length; m++) {
    const beta = curvatures[m]! * dot(changes[m]!, direction);
    axpy(alpha[m]! - beta, steps[m]!, direction);
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** y += a·x */
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i]! += a * x[i]!;
}

function maxAbs(values: Float64Array): number {
  let max = 0;
  for (const value of values) max = Math.max(max, Math.abs(value));
  return max;
}
