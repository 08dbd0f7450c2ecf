/** The part of a Lambda function URL event the webhooks read. */
export interface FunctionUrlEvent {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A JSON answer. */
export const answer = (statusCode: number, body: Record<string, unknown>): FunctionUrlResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** The raw body as signed (a function URL base64-encodes what is not text). */
export const rawBodyOf = (event: FunctionUrlEvent): Buffer => Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');

/** The headers by lower-cased name (a function URL sends them lower-cased; a test may not). */
export const headersOf = (event: FunctionUrlEvent): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
