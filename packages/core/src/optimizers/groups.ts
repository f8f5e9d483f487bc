import { fail } from '../schedules/options.js';
import type { Optimizer } from './optimizer.js';

/** A `*` glob (any run of characters) as an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Which group each parameter belongs to, and the members of each group. */
export interface Membership {
  /** Parameter names, in order. */
  readonly names: readonly string[];
  /** Group index of each parameter: the first group with a matching pattern (the default group, last, matches all). */
  readonly groupOf: Readonly<Record<string, number>>;
  /** Parameter names of each group, in group order. */
  readonly members: readonly (readonly string[])[];
  /** Names the decoupled weight decay skips. */
  readonly decayExcluded: ReadonlySet<string>;
}

/**
 * Resolves an optimizer's parameter groups for a set of parameter names. Every
 * pattern of an explicit group and of `decoupledWeightDecayExclude` must match at
 * least one parameter (a typo would otherwise silently leave parameters in the
 * default group); the error names the pattern and lists the parameters.
 */
export function resolveMembership(optimizer: Optimizer, names: readonly string[], where: string): Membership {
  if (names.length === 0) fail(where, 'must name at least one parameter', names);
  const patterns = optimizer.groups.map((group) => group.params.map(globToRegExp));
  optimizer.groups.forEach((group, i) => {
    if (i === optimizer.groups.length - 1) return;
    const groupPatterns = patterns[i] as readonly RegExp[]; // patterns holds one list per group
    group.params.forEach((pattern, j) => {
      const regExp = groupPatterns[j] as RegExp;
      if (!names.some((name) => regExp.test(name))) {
        fail(`${optimizer.type} options.groups[${i}].params[${j}]`, `matches no parameter; parameters: ${names.join(', ')}`, pattern);
      }
    });
  });
  const excluded = optimizer.decoupledWeightDecayExclude.map(globToRegExp);
  optimizer.decoupledWeightDecayExclude.forEach((pattern, j) => {
    if (!names.some((name) => (excluded[j] as RegExp).test(name))) {
      fail(`${optimizer.type} options.decoupledWeightDecayExclude[${j}]`, `matches no parameter; parameters: ${names.join(', ')}`, pattern);
    }
  });
  // Names are data: built with fromEntries (own properties), so `__proto__` or `constructor` is just a name.
  const groupOf: Record<string, number> = Object.fromEntries(
    names.map((name) => [name, patterns.findIndex((list) => list.some((re) => re.test(name)))]),
  );
  return {
    names: [...names],
    groupOf,
    members: optimizer.groups.map((_, i) => names.filter((name) => groupOf[name] === i)),
    decayExcluded: new Set(names.filter((name) => excluded.some((re) => re.test(name)))),
  };
}
