import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readmeSamples } from '../../scripts/readme-samples.js';

/** The README's samples are the renderers' output for scripts/readme-samples.ts's batch, verbatim. */
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The first fenced block after the heading that starts with `heading`. */
function blockAfter(heading: string): string | undefined {
  const at = README.indexOf(`\n${heading}`);
  if (at < 0) return undefined;
  return /```text\n([\s\S]*?)\n```/.exec(README.slice(at))?.[1];
}

describe('README "What an alert looks like"', () => {
  const samples = readmeSamples();

  it('shows the e-mail the renderer writes (regenerate: npx tsx scripts/readme-samples.ts)', () => {
    expect(blockAfter('### E-mail')).toBe(samples.email);
  });

  it('shows the Slack blocks the renderer writes, a hostile user agent inert in both', () => {
    expect(blockAfter('### Slack')).toBe(samples.slack);
    expect(samples.slack).toContain('&lt;!channel&gt;');
    expect(samples.email).not.toContain('<!channel>');
  });
});
