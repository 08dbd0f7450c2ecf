import { afterEach, describe, expect, it, vi } from 'vitest';
import { powertoolsLogger } from '../../src/adapters/aws/powertools-logger.js';

describe('powertoolsLogger', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes one JSON line per decision with the fields at the top level, and never an address', () => {
    const lines: string[] = [];
    // Lambda sends stdout and stderr alike to CloudWatch; Powertools writes errors to stderr.
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
    }
    const logger = powertoolsLogger('intelligence-curator', { environment: 'production' });
    logger.error('decision', {
      pipeline_type: 'daily_digest',
      vetoed: false,
      execute: true,
      status: 'failed',
      user_id: 'u-1',
      email: 'parent@example.com',
      error: 'injected',
    });
    const line = lines.map((text) => text.trim()).filter(Boolean).map((text) => JSON.parse(text) as Record<string, unknown>).at(-1);
    expect(line).toMatchObject({ level: 'ERROR', message: 'decision', service: 'intelligence-curator', pipeline_type: 'daily_digest', status: 'failed', execute: true, environment: 'production' });
    expect(JSON.stringify(lines)).not.toContain('parent@example.com');
  });
});
