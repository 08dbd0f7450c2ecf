const dayMs = 86_400_000;

/** The UTC day before `at`'s: what the 09:00 summary reports on. */
export function summaryWindow(at: Date): { from: Date; until: Date; summaryDate: string; weekly: boolean; monthly: boolean } {
  const until = new Date(Math.floor(at.getTime() / dayMs) * dayMs);
  const from = new Date(until.getTime() - dayMs);
  // The operations guide's weekly checklist is on Mondays, its monthly one on the first Monday of the month.
  const weekly = until.getUTCDay() === 1;
  const monthly = weekly && until.getUTCDate() <= 7;
  return { from, until, summaryDate: from.toISOString().slice(0, 10), weekly, monthly };
}
