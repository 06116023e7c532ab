import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, CLIENT_ONLY_CATEGORIES } from '../../lambda/core/categories.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe("the README's categories section", () => {
  it('names exactly the client-only categories, by id rather than by row number', () => {
    const section = /^## The categories\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    const paragraph = section.split('\n\n').find((text) => text.includes('CLIENT_ONLY_CATEGORIES')) ?? '';
    const named = CATEGORIES.filter((category) => new RegExp(`\`${category}\``).test(paragraph));
    expect(named).toEqual([...CLIENT_ONLY_CATEGORIES]);
    expect(section).not.toMatch(/\brows? \d/);
  });
});
