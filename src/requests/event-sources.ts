/**
 * The names EventBridge events carry: who sent them (`source`) and what they ask (`detail-type`). The request
 * contract says which source may ask for what; the event builders (events/curator-events.ts) write them.
 */
export const EventSource = {
  /** The scheduled rules' own input. */
  scheduler: 'storytailor.scheduler',
  /** Ops replays. */
  manual: 'storytailor.manual',
  /** The app's realtime signals. */
  agent: 'storytailor.agent',
  /** What the curator queues for itself: shards of a split run, the checks of crisis alerts. */
  curator: 'storytailor.curator',
  /** The health check, when it comes through EventBridge. */
  healthCheck: 'storytailor.health-check',
} as const;
export type EventSource = (typeof EventSource)[keyof typeof EventSource];

export const DetailType = {
  scheduled: 'Scheduled Job',
  replay: 'retry',
  signal: 'Emotional Signal',
  shard: 'Run Shard',
  crisisCheck: 'Crisis Alert Check',
} as const;
