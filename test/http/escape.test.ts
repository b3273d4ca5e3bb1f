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
];

for (const { name, input, want } of cases) {
  test(`escapeHtml() ${name}`, () => {
    assert.equal(escapeHtml(input), want);
  });
}
