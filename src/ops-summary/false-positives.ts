/** The window the guide reviews false-positive rates over (its monthly checklist). */
export const falsePositiveWindowDays = 30;

/**
 * The guide's ceilings: "Crisis: Should be <10 %", "Therapeutic: Should be <30 %". Early intervention is the one
 * therapeutic pathway: it reaches out on a pattern of a child's distress, which the clinical team reviews;
 * story_failure and asset_timeout report technical failures and have no clinical false positive.
 */
export const falsePositiveCeilings: Readonly<Record<string, number>> = { crisis_alert: 10, early_intervention: 30 };
