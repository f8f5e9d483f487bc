import type { OptimizerDefinition } from '../optimizer.js';
import { adabeliefDefinition } from './adabelief.js';
import { adafactorDefinition } from './adafactor.js';
import { adadeltaDefinition } from './adadelta.js';
import { adagradDefinition } from './adagrad.js';
import { adamDefinition, adamWDefinition } from './adam.js';
import { adamaxDefinition } from './adamax.js';
import { dadaptAdamWDefinition } from './dadapt-adamw.js';
import { dogDefinition } from './dog.js';
import { ademamixDefinition } from './ademamix.js';
import { adoptDefinition } from './adopt.js';
import { lambDefinition } from './lamb.js';
import { larsDefinition } from './lars.js';
import { lionDefinition } from './lion.js';
import { muonDefinition } from './muon.js';
import { nadamDefinition } from './nadam.js';
import { prodigyDefinition } from './prodigy.js';
import { radamDefinition } from './radam.js';
import { rmspropDefinition } from './rmsprop.js';
import { rpropDefinition } from './rprop.js';
import { scheduleFreeAdamWDefinition, scheduleFreeSgdDefinition } from './schedule-free.js';
import { sgdDefinition } from './sgd.js';

export * from './adabelief.js';
export * from './adafactor.js';
export * from './adadelta.js';
export * from './adagrad.js';
export * from './adam.js';
export * from './adamax.js';
export * from './dadapt-adamw.js';
export * from './dog.js';
export * from './ademamix.js';
export * from './adopt.js';
export * from './lamb.js';
export * from './lars.js';
export * from './lion.js';
export * from './muon.js';
export * from './newton-schulz.js';
export * from './nadam.js';
export * from './prodigy.js';
export * from './radam.js';
export * from './rmsprop.js';
export * from './rprop.js';
export * from './schedule-free.js';
export * from './sgd.js';

/** Every built-in optimizer definition (a constant table, not a registry). */
export const optimizerDefinitions: readonly OptimizerDefinition[] = [
  sgdDefinition,
  adamDefinition,
  adamWDefinition,
  adamaxDefinition,
  nadamDefinition,
  radamDefinition,
  adagradDefinition,
  adadeltaDefinition,
  rmspropDefinition,
  rpropDefinition,
  lionDefinition,
  lambDefinition,
  adabeliefDefinition,
  adoptDefinition,
  ademamixDefinition,
  larsDefinition,
  scheduleFreeAdamWDefinition,
  scheduleFreeSgdDefinition,
  prodigyDefinition,
  dadaptAdamWDefinition,
  dogDefinition,
  muonDefinition,
  adafactorDefinition,
] as OptimizerDefinition[];
