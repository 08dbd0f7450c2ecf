/**
 * A kill switch as last read: `on` only for the value `true`, `off` for `false`, and `unknown` when the parameter
 * is missing, malformed or SSM was never read (DESIGN.md section 3 decides what unknown means).
 */
export type SwitchState = 'on' | 'off' | 'unknown';

/** The two switches that govern one pipeline. */
export interface PipelineSwitches {
  readonly global: SwitchState;
  readonly pipeline: SwitchState;
}

/** Reads a switch's value as ops typed it (`aws ssm put-parameter --value "false"`), forgiving case and spaces. */
export function parseSwitch(value: string | undefined): SwitchState {
  const normalised = value?.trim().toLowerCase();
  if (normalised === 'true') return 'on';
  if (normalised === 'false') return 'off';
  return 'unknown';
}

/**
 * Whether the switches let a pipeline act. Either switch `off` stops it. An `unknown` switch stops email and
 * credit pipelines but not a critical one: a missed crisis alert is the worse failure.
 */
export function switchesAllow(switches: PipelineSwitches, critical: boolean): boolean {
  if (switches.global === 'off' || switches.pipeline === 'off') return false;
  if (switches.global === 'unknown' || switches.pipeline === 'unknown') return critical;
  return true;
}
