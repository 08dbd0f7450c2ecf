/** A store call failed or answered something the curator cannot read; `cause` holds the original error. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
