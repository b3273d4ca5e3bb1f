import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml } from '../../src/http/escape.js';

const cases: readonly { name: string; input: string; want: string }[] = [
  { name: 'leaves plain text alone', input: 'alice', want: 'alice' },
  { name: 'escapes the five special characters', input: `<>&"'`, want: '&lt;&gt;&amp;&quot;&#39;' },
  // An existing character reference must come out as the letters the user typed, not as "<".
  { name: 'escapes & in text that looks like a reference', input: '&lt;', want: '&amp;lt;' },
  { name: 'escapes a script tag', input: '<script>alert(1)</script>', want: '&lt;script&gt;alert(1)&lt;/script&gt;' },
  // Quotes matter in attribute values: value="x" onmouseover="..." would add an attribute.
  { name: 'escapes quotes that would end an attribute', input: 'x" onmouseover="alert(1)', want: 'x&quot; onmouseover=&quot;alert(1)' },
  { name: 'keeps non-ASCII text', input: 'Zoë 🍪', want: 'Zoë 🍪' },
  { name: 'returns the empty string for the empty string', input: '', want: '' },
  { name: 'escapes a special character first and last', input: '"middle"', want: '&quot;middle&quot;' },
  { name: 'escapes a run of special characters', input: 'a<<&&>>b', want: 'a&lt;&lt;&amp;&amp;&gt;&gt;b' },
  { name: 'escapes beside non-ASCII and surrogate pairs', input: '🍪<é>🍪', want: '🍪&lt;é&gt;🍪' },
  { name: 'escapes one character at the end of a long text', input: `${'x'.repeat(5000)}'`, want: `${'x'.repeat(5000)}&#39;` },
];

for (const { name, input, want } of cases) {
  test(`escapeHtml() ${name}`, () => {
    assert.equal(escapeHtml(input), want);
  });
}

test('escapeHtml() agrees with five chained replace() calls (& first) on 2,000 random strings', () => {
  const reference = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const alphabet = ['a', 'Z', ' ', '&', '<', '>', '"', "'", ';', '#', 'é', '🍪', '\n'];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 2000; round += 1) {
    const text = Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    assert.equal(escapeHtml(text), reference(text), JSON.stringify(text));
  }
});
