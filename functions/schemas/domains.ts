import * as z from 'zod';
import { idOf, ListQuery, pageOf, Timestamp } from './common.js';
import { defineRoutes } from './contract.js';

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

export const DnsRecord = z
  .object({
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
  })
  .meta({ id: 'DnsRecord' });
export type DnsRecord = z.infer<typeof DnsRecord>;

export const Domain = z
  .object({
    id: idOf('domain'),
    name: z.string(),
    status: DomainStatus,
    region: z.string().describe('AWS region whose SES sends for the domain.'),
    mail_from_domain: z.string().describe('Subdomain used as the envelope sender (bounces land there), aligned for SPF.'),
    records: z.array(DnsRecord).describe('The DNS records to publish at the domain\'s DNS host.'),
    created_at: Timestamp,
    verified_at: Timestamp.nullable().describe('When the domain first became verified.'),
    last_checked_at: Timestamp.nullable().describe('When POST /v1/domains/{id}/verify last asked SES.'),
    version: z.number().int().describe('Increases with every change (each check included).'),
  })
  .meta({ id: 'Domain' });
export type Domain = z.infer<typeof Domain>;

export const CreateDomainBody = z.strictObject({ name: DomainName });
export const DomainParams = z.strictObject({ id: idOf('domain') });
export const ListDomainsQuery = ListQuery;

export const DomainDeleted = z.object({ id: idOf('domain'), deleted: z.literal(true) });

export const DOMAIN_ROUTES = defineRoutes({
  'domains.create': {
    summary: 'Add a sending domain',
    description:
      'Registers the domain with SES (Easy DKIM and a custom MAIL FROM subdomain) and answers the DNS records to publish; ' +
      'the domain stays `pending` until SES finds them (check with POST /v1/domains/{id}/verify). A name held by any team, ' +
      'or the deployment\'s default sending domain, is a 409 `conflict`; a name SES refuses is a 422.',
    body: CreateDomainBody,
    responses: { 201: Domain },
    errors: ['conflict', 'validation_error', 'service_unavailable'],
  },
  'domains.list': {
    summary: 'List sending domains',
    description: 'The team\'s domains, newest first, with their DNS records and status as of the last check.',
    query: ListDomainsQuery,
    responses: { 200: pageOf(Domain) },
  },
  'domains.get': {
    summary: 'Get a sending domain',
    description: 'The domain as of its last check: GET does not ask SES (POST /v1/domains/{id}/verify does).',
    params: DomainParams,
    responses: { 200: Domain },
  },
  'domains.delete': {
    summary: 'Delete a sending domain',
    description: 'Deletes the SES identity, then the domain: mail from its addresses is refused from then on, and any team may add the name again.',
    params: DomainParams,
    responses: { 200: DomainDeleted },
    errors: ['service_unavailable'],
  },
  'domains.verify': {
    summary: 'Check a domain\'s verification',
    description:
      'Asks SES now how verification is going and stores the answer in `status` and each record\'s `status`. ' +
      'The first check that finds the domain verified records a `domain.verified` event (webhooks). ' +
      'A 409 `conflict` means the SES identity was removed outside Mailroom (delete the domain and add it again) or another check of the domain is running.',
    params: DomainParams,
    responses: { 200: Domain },
    errors: ['conflict', 'service_unavailable'],
  },
});
