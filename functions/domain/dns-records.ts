/**
 * The DNS records a sending domain needs, and what SES's checks mean for the domain and each record.
 * Values follow the SES developer guide (see test/fixtures/ses/identity.md).
 */
import type { DnsRecord, Domain } from '../schemas/domains.js';

/** Status values SES uses for DKIM and custom MAIL FROM checks. */
export type SesCheckStatus = 'PENDING' | 'SUCCESS' | 'FAILED' | 'TEMPORARY_FAILURE' | 'NOT_STARTED';

/** What SES last reported for a domain identity. */
export interface IdentityCheck {
  verifiedForSending: boolean;
  /** Easy DKIM tokens, one CNAME each. */
  dkimTokens: string[];
  dkimStatus: SesCheckStatus;
  mailFromStatus: SesCheckStatus;
}

/**
 * The custom MAIL FROM (envelope sender) subdomain. `bounce.` rather than the common `mail.`, which often
 * already names a mail server's host and would clash with the MX record SES needs here.
 */
export function mailFromDomainOf(domain: string): string {
  return `bounce.${domain}`;
}

export const SPF_VALUE = 'v=spf1 include:amazonses.com ~all';
export const MX_PRIORITY = 10;

/** SES retries PENDING, TEMPORARY_FAILURE and NOT_STARTED checks for 72 hours: all still pending for the user. */
export function recordStatus(status: SesCheckStatus): DnsRecord['status'] {
  if (status === 'SUCCESS') return 'verified';
  if (status === 'FAILED') return 'failed';
  return 'pending';
}

/** SES sends for a domain once its DKIM records are found; FAILED means SES stopped looking. */
export function domainStatus(check: IdentityCheck): Domain['status'] {
  if (check.verifiedForSending && check.dkimStatus === 'SUCCESS') return 'verified';
  if (check.dkimStatus === 'FAILED') return 'failed';
  return 'pending';
}

export function dnsRecords(input: {
  domain: string;
  region: string;
  dkimTokens: readonly string[];
  dkimStatus: SesCheckStatus;
  mailFromStatus: SesCheckStatus;
}): DnsRecord[] {
  const { domain, region } = input;
  const mailFrom = mailFromDomainOf(domain);
  const dkim = recordStatus(input.dkimStatus);
  const mailFromStatus = recordStatus(input.mailFromStatus);
  return [
    ...input.dkimTokens.map(
      (token): DnsRecord => ({
        type: 'CNAME',
        name: `${token}._domainkey.${domain}`,
        value: `${token}.dkim.amazonses.com`,
        purpose: 'dkim',
        status: dkim,
      }),
    ),
    { type: 'MX', name: mailFrom, value: `feedback-smtp.${region}.amazonses.com`, priority: MX_PRIORITY, purpose: 'mail_from', status: mailFromStatus },
    // SES reports one status for the MAIL FROM setup (it looks up the MX record); its console shows it for both records.
    { type: 'TXT', name: mailFrom, value: SPF_VALUE, purpose: 'spf', status: mailFromStatus },
    { type: 'TXT', name: `_dmarc.${domain}`, value: `v=DMARC1; p=none; rua=mailto:dmarc@${domain}`, purpose: 'dmarc', status: 'not_checked' },
    { type: 'MX', name: domain, value: `inbound-smtp.${region}.amazonaws.com`, priority: MX_PRIORITY, purpose: 'inbound', status: 'not_checked' },
  ];
}
