/** The decision was handed facts that do not fit the pipeline (a bug in the caller, never a veto). */
export class DecisionInputError extends Error {
  override readonly name = 'DecisionInputError';
}
