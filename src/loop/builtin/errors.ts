import { LoopletError } from '../../util/errors.js';

/**
 * A built-in hook was given options it cannot work with (a negative budget, an `ask` rule with
 * no `approve` function…). Thrown when the hook is created, so a bad configuration fails before
 * the run starts rather than mid-run.
 */
export class HookConfigError extends LoopletError {
  /** The factory that rejected its options, e.g. `permissionHook`. */
  readonly hook: string;
  /** The option at fault, e.g. `maxSteps` or `ask[0]`. */
  readonly option: string;

  constructor({ hook, option, problem }: { hook: string; option: string; problem: string }) {
    super({ message: `${hook}({ ${option} }): ${problem}`, code: 'HOOK_CONFIG' });
    this.hook = hook;
    this.option = option;
  }
}
