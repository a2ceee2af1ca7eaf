/** Template routes: each path case creates its own template for the given team. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';

const validTemplate = () => ({ name: 'Welcome', subject: 'Hi {{ first_name }}', html: '<p>Hi {{ first_name }}</p>', variables: [{ name: 'first_name', default: 'there' }] });

async function templatePath({ url, adminKey }: RouteCaseContext): Promise<string> {
  const res = await call(url, 'POST', '/v1/templates', { key: adminKey, body: validTemplate() });
  if (res.status !== 201) throw new Error(`template create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/templates/${res.body.id}`;
}
const missingPath = () => `/v1/templates/${newId('template')}`;

export const cases: RouteCases = {
  'templates.create': {
    body: {
      valid: validTemplate,
      wrongTypes: {
        body: { name: 1, description: 2, subject: [], html: {}, text: true, variables: 'first_name', color: 'red' },
        fields: ['name', 'description', 'subject', 'html', 'text', 'variables', 'color'],
      },
      rules: {
        body: { name: ' ', description: 'é'.repeat(501), subject: 'Hi {{ name', html: '{% if vip %}VIP', text: '{% endfor %}', variables: [{ name: '1st' }] },
        fields: ['name', 'description', 'subject', 'html', 'text', 'variables.0.name'],
      },
    },
  },
  'templates.get': { path: templatePath, missingPath },
  'templates.update': {
    path: templatePath,
    missingPath,
    body: {
      valid: () => ({ name: 'Renamed' }),
      wrongTypes: { body: { name: false, subject: 1, html: [], variables: {}, color: 'red' }, fields: ['name', 'subject', 'html', 'variables', 'color'] },
      rules: { body: { name: '', html: '{{ x', variables: [{ name: 'a' }, { name: 'a' }] }, fields: ['name', 'html', 'variables'] },
    },
  },
  'templates.delete': { path: templatePath, missingPath },
  'templates.render': {
    path: async (ctx) => `${await templatePath(ctx)}/render`,
    missingPath: () => `${missingPath()}/render`,
    body: {
      valid: () => ({ variables: { first_name: 'Ann' } }),
      wrongTypes: { body: { variables: ['Ann'], version: '1' }, fields: ['variables', 'version'] },
      rules: { body: { version: 0 }, fields: ['version'] },
    },
  },
};
