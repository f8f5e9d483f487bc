import { adaGradNormDefinition, reduceOnPlateauDefinition } from './metric-driven.js';
import { productDefinition, scaleDefinition, sequenceDefinition, warmupDefinition } from './compose.js';
import { constantDefinition } from './constant.js';
import { cosineAnnealingDefinition, cosineRestartsDefinition } from './cosine.js';
import { lambdaFactorDefinition, multiplicativeDefinition } from './custom.js';
import { cyclicDefinition } from './cyclic.js';
import { exponentialDecayDefinition, exponentialDefinition } from './exponential.js';
import { inverseSqrtDefinition, inverseTimeDefinition } from './inverse.js';
import { constantFactorDefinition, linearDefinition, linearFactorDefinition, polynomialDefinition } from './linear.js';
import { cosineOnecycleDefinition, linearOnecycleDefinition, oneCycleDefinition, oneCycleMomentumDefinition } from './one-cycle.js';
import { piecewiseInterpolateDefinition } from './piecewise-interpolate.js';
import type { AnyScheduleDefinition } from './schedule.js';
import { multiStepDefinition, piecewiseConstantDefinition, stepDecayDefinition } from './stepwise.js';
import { warmupStableDecayDefinition } from './warmup-stable-decay.js';

/** Every built-in schedule definition, in documentation order (a constant table, not a registry). */
export const scheduleDefinitions: readonly AnyScheduleDefinition[] = [
  constantDefinition,
  stepDecayDefinition,
  multiStepDefinition,
  piecewiseConstantDefinition,
  piecewiseInterpolateDefinition,
  exponentialDefinition,
  exponentialDecayDefinition,
  linearDefinition,
  constantFactorDefinition,
  linearFactorDefinition,
  polynomialDefinition,
  inverseTimeDefinition,
  inverseSqrtDefinition,
  cosineAnnealingDefinition,
  cosineRestartsDefinition,
  cyclicDefinition,
  oneCycleDefinition,
  oneCycleMomentumDefinition,
  cosineOnecycleDefinition,
  linearOnecycleDefinition,
  warmupStableDecayDefinition,
  warmupDefinition,
  sequenceDefinition,
  productDefinition,
  scaleDefinition,
  reduceOnPlateauDefinition,
  adaGradNormDefinition,
  lambdaFactorDefinition,
  multiplicativeDefinition,
];
