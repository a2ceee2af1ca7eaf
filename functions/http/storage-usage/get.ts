import { httpHandler } from '../../shared/http/handler.js';
import { getStorageUsage } from '../../repositories/storage.js';
import { storageQuota } from '../../domain/storage.js';
import type { StorageUsage } from '../../schemas/storage.js';

/** Counted from S3's own notifications: an upload shows here shortly after it completes. */
export const handler = httpHandler('storage-usage.get', {}, async ({ principal }) => ({
  status: 200,
  body: { ...(await getStorageUsage(principal.teamId!)), quota_bytes: await storageQuota(principal.teamId!) } satisfies StorageUsage,
}));
