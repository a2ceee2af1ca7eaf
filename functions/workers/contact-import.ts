/** Applies one chunk of a contact import per message (functions/domain/contact-import.ts). */
import { queueConsumer } from '../shared/queue/consumer.js';
import { ImportChunkMessage } from '../schemas/contact-imports.js';
import { abandonImport, runImportChunk } from '../domain/contact-import.js';
import { queueByName } from '../../lib/queues.js';

const { maxReceiveCount } = queueByName('contact-import');

export const handler = queueConsumer('contact-import', ImportChunkMessage, async (message, record) => {
  const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
  try {
    await runImportChunk(message, attempt);
  } catch (error) {
    // The message goes to the DLQ after this delivery: the job must not stay "running" for ever.
    if (attempt >= maxReceiveCount) await abandonImport(message);
    throw error;
  }
});
