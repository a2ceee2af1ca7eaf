/** Storage limits the runtime configuration reads too: apart from the storage schemas, so every function can read them without loading those. */

/** The longest an upload link stays valid; a force-deleted bucket's slug stays reserved this long after emptying. */
export const MAX_UPLOAD_URL_SECONDS = 3600;
