import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Pager } from '../../curator/ports.js';

/** Pages through an SNS topic (the critical alert topic, which on-call is subscribed to). SNS caps a subject at 100. */
export function snsPager(client: SNSClient, topicArn: string): Pager {
  return {
    async page(subject, message) {
      await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject.slice(0, 100), Message: message }));
    },
  };
}
