/**
 * Agreement of the backends' loss trajectories: the largest relative
 * difference |a - b| / |b| over the steps, against the engine's.
 *
 * The tolerance: per step, the conformance suite holds every backend's
 * parameters within 1e-5 of PyTorch's; over a few hundred steps of training
 * float32 rounding differences compound (each backend sums in its own order),
 * and on the default setups they stay below 1e-4 (iris: tfjs ~7e-5, ONNX Runtime
 * ~1e-5; MNIST ~1e-6). At learning rates where training is chaotic (MNIST at
 * 0.05) the rounding differences grow exponentially and trajectories part after
 * ~100 steps while reaching the same loss; the agreement check is meant for the
 * stable regime the defaults use. The demo fails above 1e-3, which no
 * rounding explains but any real difference (a wrong rate, a missed step, a
 * different batch) exceeds at once.
 */
export const AGREEMENT_TOLERANCE = 1e-3;

/** Largest relative difference of `losses` from `reference`, and where (the conformance suite's measure). */
export { largestRelativeDifference as largestDifference } from '@stepsize/conformance';
