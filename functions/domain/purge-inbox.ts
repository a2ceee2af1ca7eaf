/** Removes a deleted inbox's mail: its messages, threads and every stored object. Safe to run again. */
import { logger } from '../shared/logger.js';
import { deleteMessage, listInboxMessages } from '../repositories/messages.js';
import { deleteThread, listInboxThreads } from '../repositories/threads.js';
import { deleteMailPrefix } from '../repositories/mail-store.js';

export async function purgeInboxMail(inboxId: string): Promise<void> {
  let messages = 0;
  let cursor: string | undefined;
  do {
    const page = await listInboxMessages(inboxId, { limit: 100, cursor });
    await Promise.all(page.data.map((m) => deleteMessage(m)));
    messages += page.data.length;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  let threads = 0;
  cursor = undefined;
  do {
    const page = await listInboxThreads(inboxId, { limit: 100, cursor });
    await Promise.all(page.data.map((t) => deleteThread(t.id)));
    threads += page.data.length;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  const objects = await deleteMailPrefix(`inboxes/${inboxId}/`);
  logger.info('inbox mail purged', { inbox_id: inboxId, messages, threads, objects });
}
