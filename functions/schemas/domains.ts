import * as z from 'zod';
import { idOf, ListQuery, Timestamp } from './common.js';

/**
 * A registrable hostname in lowercase ASCII (IDNs in their punycode form): at least two labels of at most
 * 63 characters, no leading or trailing hyphen, and a TLD that is not numeric (so IP addresses fail).
 */
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

export const DomainName = z
  .string()
  .trim()
  .toLowerCase()
  // "example.com." is the fully qualified spelling of the same name.
  .transform((name) => name.replace(/\.$/, ''))
  .pipe(z.string().regex(HOSTNAME, 'Must be a domain name such as example.com (IDNs in punycode).'));

export const DomainStatus = z
  .enum(['pending', 'verified', 'failed'])
  .describe('pending until SES finds the DKIM records; verified once it can send from the domain; failed if SES gave up (72 h).');

export const DnsRecord = z.object({
  type: z.enum(['CNAME', 'MX', 'TXT']),
  name: z.string().describe('Fully qualified record name.'),
  value: z.string().describe('Record value, without zone-file quoting; MX values carry the priority separately.'),
  priority: z.number().int().optional().describe('MX priority.'),
  purpose: z
    .enum(['dkim', 'mail_from', 'spf', 'dmarc', 'inbound'])
    .describe(
      'dkim, mail_from and spf are required to send; dmarc is a suggested starting policy (skip it if the domain has one); ' +
        'inbound routes the domain\'s mail to Mailroom: add it only to receive here, as it replaces any existing mail provider.',
    ),
  status: z.enum(['pending', 'verified', 'failed', 'not_checked']).describe('What SES found at the last check; not_checked for records SES does not check.'),
});
export type DnsRecord = z.infer<typeof DnsRecord>;

export const Domain = z.object({
  id: idOf('domain'),
  name: z.string(),
  status: DomainStatus,
  region: z.string().describe('AWS region whose SES sends for the domain.'),
  mail_from_domain: z.string().describe('Subdomain used as the envelope sender (bounces land there), aligned for SPF.'),
  records: z.array(DnsRecord),
  created_at: Timestamp,
  verified_at: Timestamp.nullable().describe('When the domain first became verified.'),
  last_checked_at: Timestamp.nullable().describe('When POST /v1/domains/{id}/verify last asked SES.'),
  version: z.number().int(),
});
export type Domain = z.infer<typeof Domain>;

export const CreateDomainBody = z.strictObject({ name: DomainName });
export const DomainParams = z.strictObject({ id: idOf('domain') });
export const ListDomainsQuery = ListQuery;
