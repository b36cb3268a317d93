/** A digest run as a scheduler plans it, for the store tests: digest `daily`, no stories, a copy per address. */
import type { NewRun } from '../../src/storage/store.ts';

/** Run `subject` after run `afterRunId` (0: the first); each copy's Message-ID is `<subject.local@x>` (local: the address's local part). */
export function plannedRun(
  subject: string,
  afterRunId: number,
  createdAt: Date,
  addresses: readonly string[] = ['a@example.org', 'b@example.org'],
): NewRun & { afterRunId: number } {
  return {
    digestId: 'daily',
    createdAt,
    afterRunId,
    fromStoryId: 0,
    toStoryId: 0,
    storyIds: [],
    subject,
    recipients: addresses.map((address) => ({ address, messageId: `<${subject}.${address.split('@')[0]}@x>` })),
  };
}
