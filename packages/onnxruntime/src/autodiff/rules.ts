import { convGradients } from './conv-gradients.js';
import { elementwiseGradients } from './elementwise-gradients.js';
import type { GradientRule } from './gradient-context.js';
import { linearGradients } from './linear-gradients.js';
import { normalizationGradients } from './normalization-gradients.js';
import { reduceGradients } from './reduce-gradients.js';
import { shapeGradients } from './shape-gradients.js';

/** Every operator `buildTrainingModel` differentiates, with its gradient rule. */
export const GRADIENT_RULES: Readonly<Record<string, GradientRule>> = {
  ...elementwiseGradients,
  ...linearGradients,
  ...shapeGradients,
  ...reduceGradients,
  ...convGradients,
  ...normalizationGradients,
};

/** The differentiated operators, sorted (for error messages and docs). */
export const DIFFERENTIATED_OPERATORS: readonly string[] = Object.keys(GRADIENT_RULES).sort();
