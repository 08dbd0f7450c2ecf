import { paginateGetParametersByPath } from '@aws-sdk/client-ssm';
import { parameterRoot } from '../pipelines/index.js';
import type { OpsContext } from './context.js';
import { explain } from './errors.js';

/** Every parameter under the environment's root, keyed by full name, in one recursive, paginated read. */
export async function readParameters(context: OpsContext): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  try {
    for await (const page of paginateGetParametersByPath({ client: context.ssm }, { Path: parameterRoot(context.env), Recursive: true })) {
      for (const parameter of page.Parameters ?? []) if (parameter.Name && parameter.Value !== undefined) values.set(parameter.Name, parameter.Value);
    }
  } catch (error) {
    throw explain(error, `reading ${parameterRoot(context.env)}`);
  }
  return values;
}

/** The same parameters keyed as the curator reads them, relative to the root (`daily-digest/min-confidence`). */
export async function readTunables(context: OpsContext): Promise<Map<string, string>> {
  const root = `${parameterRoot(context.env)}/`;
  return new Map([...(await readParameters(context))].map(([name, value]) => [name.startsWith(root) ? name.slice(root.length) : name, value]));
}

