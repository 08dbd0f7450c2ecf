import type { CuratorStore } from '../store/curator-store.js';
import type { OpsContext } from './context.js';
import { explain } from './errors.js';

/** The human_overrides row of an action, written or why not: each command decides whether to act without it. */
export async function recordOverride(
  context: OpsContext,
  input: Parameters<CuratorStore['recordOverride']>[0],
): Promise<{ recorded: true } | { recorded: false; why: string }> {
  try {
    await (await context.store()).recordOverride(input);
    return { recorded: true };
  } catch (error) {
    return { recorded: false, why: explain(error, 'recording the override').message };
  }
}
