/** Template limits, apart from the Liquid engine so schemas and read routes can use them without bundling it. */

/**
 * Source caps in UTF-8 bytes. Their sum with the other fields stays well under DynamoDB's 400 KB item limit,
 * so a whole version is one item. 256 KiB of HTML is already more than twice what Gmail shows before clipping.
 */
export const TEMPLATE_SOURCE_MAX_BYTES = { subject: 2_048, html: 256 * 1024, text: 64 * 1024 } as const;

export const RENDER_LIMITS = {
  /** RFC 5322's line limit: the rendered subject becomes one header line. */
  subjectChars: 998,
  /** Per rendered part (html, text): far beyond any real email, small enough for a preview response. */
  partBytes: 1024 * 1024,
  /** Per part; three parts stay well inside the 10 s function timeout. */
  milliseconds: 1_000,
  /** liquidjs's allocation budget per part (roughly characters created by filters, ranges and outputs). */
  memory: 10_000_000,
} as const;
