import { describe, expect, it } from 'vitest';
import { dnsRecords, domainStatus, mailFromDomainOf, recordStatus } from '../../functions/domain/dns-records.js';
import { DnsRecord } from '../../functions/schemas/domains.js';

const tokens = ['vvjuipp74whm76gqoni7qmwwn4w4qusjiainivf6sf', '3frqe7jn4obpuxjpwpolz6ipb3k5nvt2nhjpik2oy', 'wrqplteh7oodxnad7hsl4mixg2uavzneazxv5sxi2'];

describe('dnsRecords', () => {
  const records = dnsRecords({ domain: 'example.com', region: 'us-west-2', dkimTokens: tokens, dkimStatus: 'PENDING', mailFromStatus: 'PENDING' });

  it('lists the three Easy DKIM CNAMEs exactly as the SES guide writes them', () => {
    expect(records.filter((r) => r.purpose === 'dkim')).toEqual(
      tokens.map((token) => ({ type: 'CNAME', name: `${token}._domainkey.example.com`, value: `${token}.dkim.amazonses.com`, purpose: 'dkim', status: 'pending' })),
    );
  });

  it('puts the MAIL FROM MX (priority 10, the region\'s feedback host) and the SPF TXT on the MAIL FROM subdomain', () => {
    expect(mailFromDomainOf('example.com')).toBe('bounce.example.com');
    expect(records.filter((r) => r.purpose === 'mail_from' || r.purpose === 'spf')).toEqual([
      { type: 'MX', name: 'bounce.example.com', value: 'feedback-smtp.us-west-2.amazonses.com', priority: 10, purpose: 'mail_from', status: 'pending' },
      { type: 'TXT', name: 'bounce.example.com', value: 'v=spf1 include:amazonses.com ~all', purpose: 'spf', status: 'pending' },
    ]);
  });

  it('suggests a DMARC policy and gives the inbound MX, neither of which SES checks', () => {
    expect(records.filter((r) => r.purpose === 'dmarc' || r.purpose === 'inbound')).toEqual([
      { type: 'TXT', name: '_dmarc.example.com', value: 'v=DMARC1; p=none; rua=mailto:dmarc@example.com', purpose: 'dmarc', status: 'not_checked' },
      { type: 'MX', name: 'example.com', value: 'inbound-smtp.us-west-2.amazonaws.com', priority: 10, purpose: 'inbound', status: 'not_checked' },
    ]);
  });

  it('returns records that satisfy the API schema, MX records with a priority and the others without', () => {
    for (const record of records) {
      expect(DnsRecord.parse(record)).toEqual(record);
      expect('priority' in record).toBe(record.type === 'MX');
    }
  });

  it('marks DKIM and MAIL FROM records with what SES found, each on its own', () => {
    const checked = dnsRecords({ domain: 'example.com', region: 'us-east-1', dkimTokens: tokens, dkimStatus: 'SUCCESS', mailFromStatus: 'FAILED' });
    expect(new Set(checked.filter((r) => r.purpose === 'dkim').map((r) => r.status))).toEqual(new Set(['verified']));
    expect(checked.filter((r) => r.purpose === 'mail_from' || r.purpose === 'spf').map((r) => r.status)).toEqual(['failed', 'failed']);
  });

  it('has no DKIM records until SES has returned its tokens', () => {
    const early = dnsRecords({ domain: 'example.com', region: 'us-east-1', dkimTokens: [], dkimStatus: 'NOT_STARTED', mailFromStatus: 'NOT_STARTED' });
    expect(early.map((r) => r.purpose)).toEqual(['mail_from', 'spf', 'dmarc', 'inbound']);
  });
});

describe('statuses', () => {
  it('maps SES check statuses to record statuses; SES still retries everything but SUCCESS and FAILED', () => {
    expect(recordStatus('SUCCESS')).toBe('verified');
    expect(recordStatus('FAILED')).toBe('failed');
    expect(recordStatus('PENDING')).toBe('pending');
    expect(recordStatus('TEMPORARY_FAILURE')).toBe('pending');
    expect(recordStatus('NOT_STARTED')).toBe('pending');
  });

  it('verifies a domain only when SES can send from it and found its DKIM records', () => {
    const check = { dkimTokens: tokens, mailFromStatus: 'PENDING' as const };
    expect(domainStatus({ ...check, verifiedForSending: true, dkimStatus: 'SUCCESS' })).toBe('verified');
    expect(domainStatus({ ...check, verifiedForSending: false, dkimStatus: 'SUCCESS' })).toBe('pending');
    expect(domainStatus({ ...check, verifiedForSending: false, dkimStatus: 'PENDING' })).toBe('pending');
    expect(domainStatus({ ...check, verifiedForSending: false, dkimStatus: 'TEMPORARY_FAILURE' })).toBe('pending');
    expect(domainStatus({ ...check, verifiedForSending: false, dkimStatus: 'FAILED' })).toBe('failed');
    // A failed MAIL FROM setup falls back to amazonses.com (USE_DEFAULT_VALUE): sending still works.
    expect(domainStatus({ ...check, verifiedForSending: true, dkimStatus: 'SUCCESS', mailFromStatus: 'FAILED' })).toBe('verified');
  });
});
