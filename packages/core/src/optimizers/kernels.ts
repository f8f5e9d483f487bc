import type { AdabeliefFlags, AdabeliefScalar, AdabeliefSlot } from './builtin/adabelief.js';
import type { AdadeltaFlags, AdadeltaScalar, AdadeltaSlot } from './builtin/adadelta.js';
import type { AdagradFlags, AdagradScalar, AdagradSlot } from './builtin/adagrad.js';
import type { AdamFlags, AdamScalar, AdamSlot } from './builtin/adam.js';
import type { AdamaxFlags, AdamaxScalar, AdamaxSlot } from './builtin/adamax.js';
import type { AdemamixFlags, AdemamixScalar, AdemamixSlot } from './builtin/ademamix.js';
import type { AdoptFlags, AdoptScalar, AdoptSlot } from './builtin/adopt.js';
import type { LambFlags, LambScalar, LambSlot } from './builtin/lamb.js';
import type { LarsFlags, LarsScalar, LarsSlot } from './builtin/lars.js';
import type { LionFlags, LionScalar, LionSlot } from './builtin/lion.js';
import type { NadamFlags, NadamScalar, NadamSlot } from './builtin/nadam.js';
import type { RadamFlags, RadamScalar, RadamSlot } from './builtin/radam.js';
import type { RmspropFlags, RmspropScalar, RmspropSlot } from './builtin/rmsprop.js';
import type { RpropFlags, RpropScalar, RpropSlot } from './builtin/rprop.js';
import type { ScheduleFreeFlags, ScheduleFreeScalar, ScheduleFreeSlot } from './builtin/schedule-free.js';
import type { SgdFlags, SgdScalar, SgdSlot } from './builtin/sgd.js';

/** What a fused kernel receives for one parameter. */
export interface FusedKernelArgs<S extends string, F, L extends string, T> {
  /** The parameter, updated in place. */
  readonly param: T;
  readonly grad: T;
  /** The optimizer's slots of this parameter, updated in place (absent ones are not used with these flags). */
  readonly slots: Readonly<Partial<Record<L, T>>>;
  /** This step's scalars, as the optimizer's math computed them (float64; round as `Ops.scalar` does). */
  readonly scalars: Readonly<Record<S, number>>;
  /** The structural flags of the parameter's group. */
  readonly flags: F;
}

/**
 * An in-place update a backend may provide for one optimizer: it must produce
 * exactly what the optimizer's generic math produces through `Ops` (backends prove
 * it in tests). Typed against the optimizer's exported scalar, flag and slot names
 * (`FusedKernel<AdamScalar, AdamFlags, AdamSlot>`), so renaming a hyperparameter in
 * core is a compile error in every kernel.
 *
 * @example
 * ```ts
 * const sgdKernel: FusedKernel<SgdScalar, SgdFlags, SgdSlot> = ({ param, grad, scalars }) => {
 *   for (let i = 0; i < param.length; i += 1) param[i] += grad[i] * scalars.negativeLearningRate;
 * };
 * ```
 */
export type FusedKernel<S extends string, F, L extends string = string, T = Float32Array> = (args: FusedKernelArgs<S, F, L, T>) => void;

/**
 * Fused kernels by optimizer type, each typed against that optimizer's scalars,
 * flags and slots. A backend provides any subset; the others run the generic math.
 *
 * @example
 * ```ts
 * const kernels: KernelTable = { sgd: sgdKernel };
 * compiled.update(float32Ops, { params, gradients, state, kernels });
 * ```
 */
export interface KernelTable<T = Float32Array> {
  readonly sgd?: FusedKernel<SgdScalar, SgdFlags, SgdSlot, T>;
  readonly adam?: FusedKernel<AdamScalar, AdamFlags, AdamSlot, T>;
  readonly adamW?: FusedKernel<AdamScalar, AdamFlags, AdamSlot, T>;
  readonly adamax?: FusedKernel<AdamaxScalar, AdamaxFlags, AdamaxSlot, T>;
  readonly nadam?: FusedKernel<NadamScalar, NadamFlags, NadamSlot, T>;
  readonly radam?: FusedKernel<RadamScalar, RadamFlags, RadamSlot, T>;
  readonly adagrad?: FusedKernel<AdagradScalar, AdagradFlags, AdagradSlot, T>;
  readonly adadelta?: FusedKernel<AdadeltaScalar, AdadeltaFlags, AdadeltaSlot, T>;
  readonly rmsprop?: FusedKernel<RmspropScalar, RmspropFlags, RmspropSlot, T>;
  readonly rprop?: FusedKernel<RpropScalar, RpropFlags, RpropSlot, T>;
  readonly lion?: FusedKernel<LionScalar, LionFlags, LionSlot, T>;
  readonly lamb?: FusedKernel<LambScalar, LambFlags, LambSlot, T>;
  readonly adabelief?: FusedKernel<AdabeliefScalar, AdabeliefFlags, AdabeliefSlot, T>;
  readonly adopt?: FusedKernel<AdoptScalar, AdoptFlags, AdoptSlot, T>;
  readonly ademamix?: FusedKernel<AdemamixScalar, AdemamixFlags, AdemamixSlot, T>;
  readonly lars?: FusedKernel<LarsScalar, LarsFlags, LarsSlot, T>;
  readonly scheduleFreeAdamW?: FusedKernel<ScheduleFreeScalar, ScheduleFreeFlags, ScheduleFreeSlot, T>;
  readonly scheduleFreeSgd?: FusedKernel<ScheduleFreeScalar, ScheduleFreeFlags, ScheduleFreeSlot, T>;
}
