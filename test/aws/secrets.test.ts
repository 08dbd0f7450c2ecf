import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { manualClock } from '../../src/adapters/clock.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { loadConfig } from '../../src/wiring/config.js';
import { createCuratorHandler } from '../../src/handlers/curator.js';
import { buildDependencies } from '../../src/wiring/dependencies.js';
import { scheduledEvent, tallyOf } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { fakeSendGrid } from '../support/fake-providers.js';
import { describeWithMoto, motoClientConfig, motoCredentials, motoEndpoint } from '../support/moto.js';
import { seedDigestPopulation } from '../support/population.js';

const region = 'ca-central-1';
const firing = new Date('2026-11-23T20:00:00Z');
let db: TestDatabase;
let sendgrid: Awaited<ReturnType<typeof fakeSendGrid>>;

describeWithMoto('secrets from Secrets Manager', () => {
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = motoCredentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = motoCredentials.secretAccessKey;
    db = await openTestDatabase();
    sendgrid = await fakeSendGrid();
    await seedDigestPopulation(db.sql, firing, { engaged: 2, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
  });
  afterAll(async () => {
    await sendgrid?.close();
    await db?.close();
  });

  it('gives the mailer the SendGrid key stored under the configured ARN, and never logs it', async () => {
    const secrets = new SecretsManagerClient(motoClientConfig(region));
    const created = await secrets.send(new CreateSecretCommand({ Name: 'storytailor/staging/sendgrid-api-key', SecretString: 'SG.from-secrets-manager' }));
    const config = loadConfig({
      AWS_REGION: region,
      AWS_ENDPOINT_URL: motoEndpoint!,
      SENDGRID_API_KEY_SECRET_ARN: created.ARN!,
      SENDGRID_BASE_URL: sendgrid.url,
      CURATOR_FROM_EMAIL: 'hello@storytailor.test',
      CURATOR_TEMPLATES: JSON.stringify({ daily_digest: 'd-digest' }),
    });
    const logger = memoryLogger();
    const deps = await buildDependencies(config, { sql: db.sql, logger, clock: manualClock(new Date(firing.getTime() + 1_000)) });
    const summary = await createCuratorHandler(async () => deps)(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary).emailsSent).toBe(2);
    expect(sendgrid.requests[0]!.authorization).toBe('Bearer SG.from-secrets-manager');
    expect(JSON.stringify(logger.lines)).not.toContain('SG.from-secrets-manager');
  });
});
