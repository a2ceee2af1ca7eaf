/**
 * `npm run bundle-sizes` (after `npm run synth`): the minified bundle size of every Lambda, read from
 * cdk.out, largest first. Small bundles are fast cold starts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const out = 'cdk.out';
if (!existsSync(out)) {
  process.stderr.write('No cdk.out: run `npm run synth` first.\n');
  process.exit(1);
}
const rows: { name: string; bytes: number }[] = [];
for (const file of readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
  const template = JSON.parse(readFileSync(join(out, file), 'utf8'));
  for (const resource of Object.values<{ Type: string; Properties?: { Description?: string; Code?: { S3Key?: string } } }>(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const hash = String(resource.Properties?.Code?.S3Key ?? '').replace(/\.zip$/, '');
    const bundle = join(out, `asset.${hash}`, 'index.mjs');
    if (existsSync(bundle)) rows.push({ name: resource.Properties?.Description ?? hash, bytes: statSync(bundle).size });
  }
}
rows.sort((a, b) => b.bytes - a.bytes);
process.stdout.write(['| function | bundle (minified, KB) |', '|---|---|', ...rows.map((r) => `| ${r.name} | ${(r.bytes / 1024).toFixed(0)} |`), ''].join('\n'));
