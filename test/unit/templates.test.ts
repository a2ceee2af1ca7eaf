/** The template engine: the syntax check at save and rendering, with its escaping, defaults and limits. */
import { describe, expect, it } from 'vitest';
import { liquidSyntaxError, renderContent } from '../../functions/domain/template-engine.js';
import { RENDER_LIMITS } from '../../functions/domain/template-limits.js';
import { ApiError } from '../../functions/shared/errors.js';
import type { Template } from '../../functions/schemas/templates.js';

type Content = Pick<Template, 'subject' | 'html' | 'text' | 'variables'>;
const content = (parts: Partial<Content>): Content => ({ subject: 'Hi', html: '<p>Hi</p>', text: null, variables: [], ...parts });

async function renderError(parts: Partial<Content>, variables: Record<string, unknown> = {}): Promise<ApiError> {
  const error = await renderContent(content(parts), variables).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('liquidSyntaxError', () => {
  it('accepts valid Liquid and plain text', () => {
    for (const source of ['Hello', 'Hi {{ name | capitalize }}', '{% if a %}x{% elsif b %}y{% else %}z{% endif %}', '{% for i in items %}{{ forloop.index }}{% endfor %}']) {
      expect(liquidSyntaxError(source), source).toBeUndefined();
    }
  });

  it('reports the line and column of the error', () => {
    expect(liquidSyntaxError('<p>\n\n  {% if vip %}\n  VIP\n</p>')).toBe('line 3, col 3: tag {% if vip %} not closed');
    expect(liquidSyntaxError('one\ntwo {% endif %}')).toBe('line 2, col 5: tag "endif" not found');
    expect(liquidSyntaxError('Hello {{ name')).toMatch(/^line 1, col 7: output "{{ name" not closed/);
  });

  it('rejects unknown filters at save, not at send', () => {
    expect(liquidSyntaxError('{{ name | upcas }}')).toBe('line 1, col 1: undefined filter: upcas');
  });

  it('rejects every tag that would read another template', () => {
    for (const tag of ['include', 'render', 'layout']) {
      expect(liquidSyntaxError(`x {% ${tag} 'header' %}`)).toBe(`line 1, col 3: tag "${tag}" not found`);
    }
    expect(liquidSyntaxError("{% liquid\n  include '/etc/passwd' %}")).toMatch(/tag "include" not found/);
  });
});

describe('renderContent', () => {
  it('escapes outputs in html only; | raw opts out', async () => {
    const name = `<b>Tom & "Jerry"</b>`;
    const out = await renderContent(content({ subject: 'Hi {{ name }}', html: '<p>{{ name }}</p>{{ name | raw }}', text: 'Hi {{ name }}' }), { name });
    expect(out.subject).toBe(`Hi ${name}`);
    expect(out.text).toBe(`Hi ${name}`);
    expect(out.html).toBe(`<p>&lt;b&gt;Tom &amp; &#34;Jerry&#34;&lt;/b&gt;</p>${name}`);
  });

  it('renders declared defaults for missing or null variables, and nothing for undeclared ones', async () => {
    const variables = [{ name: 'first_name', default: 'there' }, { name: 'count', default: 3 }, { name: 'plan' }];
    const parts = { subject: 'Hi {{ first_name }}', html: '{{ count }}|{{ plan }}|{{ nobody.knows.this }}', variables };
    expect(await renderContent(content(parts), {})).toMatchObject({ subject: 'Hi there', html: '3||' });
    expect(await renderContent(content(parts), { first_name: null, count: 0, plan: 'pro' })).toMatchObject({ subject: 'Hi there', html: '0|pro|' });
    expect(await renderContent(content(parts), { first_name: '' })).toMatchObject({ subject: 'Hi' });
  });

  it('generates the text part from the rendered html when the template has none', async () => {
    const out = await renderContent(content({ html: '<h1>Welcome</h1><p>Hello {{ name }}, <a href="https://example.com/go">start here</a>.</p>' }), { name: 'Ann' });
    expect(out.text).toContain('Hello Ann, start here [https://example.com/go].');
    expect(out.text).not.toContain('<');
  });

  it('keeps the subject on one line', async () => {
    const out = await renderContent(content({ subject: '{% if vip %}\n  VIP: \n{% endif %}Your order\r\n{{ id }}' }), { vip: true, id: 'A1\nBcc: x@example.com' });
    expect(out.subject).toBe('VIP: Your order A1 Bcc: x@example.com');
    // A long run of blanks is handled in linear time.
    const started = Date.now();
    expect((await renderContent(content({ subject: '{{ s }}' }), { s: `${' \t'.repeat(400_000)}x` })).subject).toBe('x');
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('hides everything but own properties of the variables', async () => {
    const out = await renderContent(content({ html: '[{{ user.constructor }}][{{ user.__proto__ }}][{{ list.constructor.name }}][{{ user.name }}]' }), {
      user: { name: 'Ann' },
      list: [1],
    });
    expect(out.html).toBe('[][][][Ann]');
  });

  it('treats a variable named __proto__ as an ordinary variable', async () => {
    const variables = JSON.parse('{"__proto__": {"polluted": "yes"}, "name": "Ann"}') as Record<string, unknown>;
    const out = await renderContent(content({ html: '{{ polluted }}|{{ __proto__.polluted }}|{{ name }}' }), variables);
    expect(out.html).toBe('|yes|Ann');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('uses UTC for dates whatever the local zone', async () => {
    const out = await renderContent(content({ html: '{{ at | date: "%Y-%m-%d %H:%M" }}' }), { at: '2024-03-01T23:30:00Z' });
    expect(out.html).toBe('2024-03-01 23:30');
  });

  it('stops a render that runs too long with a 422 naming the part and the position', async () => {
    const error = await renderError({ text: 'ok\n{% for i in (1..5000000) %}{{ i }}{% endfor %}' });
    expect(error.code).toBe('validation_error');
    expect(error.options.param).toBe('variables');
    expect(error.options.errors).toEqual([{ field: 'text', code: 'render_failed', message: expect.stringMatching(/^line 2, col \d+: (template render|memory alloc) limit exceeded$/) }]);
  });

  it('stops a capture that doubles a string before it exhausts memory', async () => {
    for (const part of ['html', 'text'] as const) {
      const doubling = `{% assign s = "0123456789" %}{% for i in (1..40) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s.size }}`;
      const error = await renderError({ [part]: doubling });
      expect(error.options.errors?.[0]).toMatchObject({ field: part, message: expect.stringContaining('memory alloc limit exceeded') });
      const rawDoubling = doubling.replace('{{ s }}{{ s }}', '{{ s | raw }}{{ s | raw }}');
      expect((await renderError({ [part]: rawDoubling })).options.errors?.[0]?.message).toContain('memory alloc limit exceeded');
    }
  });

  it('stops static text repeated by nested captures', async () => {
    const block = 'x'.repeat(100_000);
    const error = await renderError({ html: `{% capture a %}{% for i in (1..200) %}${block}{% endfor %}{% endcapture %}{{ a.size }}` });
    expect(error.options.errors?.[0]?.message).toContain('memory alloc limit exceeded');
  });

  it('refuses rendered parts over the size limit', async () => {
    const block = 'y'.repeat(100_000);
    const error = await renderError({ html: `{% for i in (1..20) %}${block}{% endfor %}` });
    expect(error.options.errors?.[0]).toMatchObject({ field: 'html', message: `the rendered html is larger than ${RENDER_LIMITS.partBytes} bytes.` });
  });

  it('refuses a rendered subject longer than a header line allows', async () => {
    const error = await renderError({ subject: '{{ s }}' }, { s: 'z'.repeat(RENDER_LIMITS.subjectChars + 1) });
    expect(error.options.errors?.[0]).toMatchObject({ field: 'subject', code: 'render_failed' });
  });
});
