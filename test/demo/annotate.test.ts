import assert from 'node:assert/strict';
import { test } from 'node:test';
import { annotate, inline, moduleLinker, proseLines, renderAnnotatedSource } from '../../src/demo/annotate.js';

/** Each case: source lines, and how annotate() groups them (C = comment line, K = code line). */
const classificationCases: readonly { name: string; source: string; want: string }[] = [
  { name: 'a block comment, then code', source: '/**\n * Doc.\n */\nconst a = 1;', want: 'CCC|K' },
  { name: 'line comments, then code, then more comments and code', source: '// one\n// two\nx();\n// three\ny();', want: 'CC|K / C|K' },
  { name: 'a one-line block comment', source: '/** Doc. */\nx();', want: 'C|K' },
  { name: 'code before any comment', source: 'import x;\n\n// later\ny();', want: '|KK / C|K' },
  { name: 'code after the closing marker makes the line code', source: '/* a\n b */ x();\ny();', want: 'C|KK' },
  { name: 'a trailing comment stays with its code', source: 'x(); // why\n// next\ny();', want: '|K / C|K' },
  { name: 'an indented comment inside a function', source: 'function f() {\n  // why\n  return 1;\n}', want: '|K / C|KK' },
  { name: 'a "*" line outside a comment is code', source: 'const a = b\n  * c;', want: '|KK' },
  { name: 'a comment that never closes is all comment', source: '/**\n * open', want: 'CC|' },
  { name: 'Windows line ends', source: '// a\r\nx();\r\n', want: 'C|K' },
];

function shape(source: string): string {
  return annotate(source)
    .map((section) => `${'C'.repeat(section.comment.length)}|${'K'.repeat(section.code.length)}`)
    .join(' / ');
}

for (const { name, source, want } of classificationCases) {
  test(`annotate(): ${name}`, () => {
    assert.equal(shape(source), want);
  });
}

test('annotate() numbers lines from 1 and keeps every line exactly once', () => {
  const source = '/**\n * a\n */\nx();\n\n// b\ny();';
  const numbers = annotate(source).flatMap((section) => [...section.comment, ...section.code].map((line) => line.number));
  assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7]);
});

const proseCases: readonly [string, string][] = [
  ['/**', ''],
  [' * What: a thing.', 'What: a thing.'],
  [' *   indented example', '  indented example'],
  [' */', ''],
  ['// a line comment', 'a line comment'],
  ['  //no space', 'no space'],
  ['/** One line. */', ' One line.'],
  [' *', ''],
];
for (const [line, want] of proseCases) {
  test(`proseLines() reads ${JSON.stringify(line)} as ${JSON.stringify(want)}`, () => {
    assert.deepEqual(proseLines([{ number: 1, text: line }]), [want]);
  });
}

test('renderAnnotatedSource() escapes code and prose, and makes only backticked spans into <code>', () => {
  const html = renderAnnotatedSource('x.ts', "// Use `a<b>` & <script>alert(1)</script>\nconst s = '<img src=x onerror=alert(1)>';");
  assert.doesNotMatch(html, /<script>|<img/);
  assert.match(html, /Use <code>a&lt;b&gt;<\/code> &amp; &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /const s = &#39;&lt;img src=x onerror=alert\(1\)&gt;&#39;;/);
});

test('renderAnnotatedSource() gives every line an anchor #L<n>, code lines a visible number', () => {
  const html = renderAnnotatedSource('x.ts', '/**\n * Doc.\n */\nconst a = 1;\n\n// b\nconst b = 2;');
  for (let line = 1; line <= 7; line += 1) assert.equal(html.split(`id="L${line}"`).length - 1, 1, `line ${line}`);
  assert.match(html, /<span class="line" id="L4"><a href="#L4">4<\/a><span class="indent"><\/span><span class="text">const a = 1;<\/span><\/span>/);
  assert.match(html, /<a class="lines" href="#L1">lines 1&ndash;3<\/a>/);
  assert.match(html, /<a class="lines" href="#L6">line 6<\/a>/);
});

test('renderAnnotatedSource() splits a code line into its indentation and the rest, so that it wraps under itself', () => {
  const html = renderAnnotatedSource('x.ts', 'if (a) {\n    b(\'<\');\n}');
  assert.match(html, /<span class="indent">    <\/span><span class="text">b\(&#39;&lt;&#39;\);<\/span>/);
});

/** The prose of a one-comment file as HTML, without the anchors and the "lines 1–n" link. */
function proseOf(lines: readonly string[], path = 'x.ts', modules: readonly string[] = []): string {
  const html = renderAnnotatedSource(path, `/**\n${lines.map((line) => ` * ${line}`.trimEnd()).join('\n')}\n */\nx();`, modules);
  return /<div class="prose">.*?<\/a>\n([\s\S]*?)<\/div><div>/.exec(html)![1]!;
}

// The Markdown our comments use (annotate.ts, "How prose is written"), one rule per row.
const blockCases: readonly { name: string; lines: readonly string[]; want: string }[] = [
  { name: 'lines run together into a paragraph', lines: ['One', 'sentence.', '', 'Two.'], want: '<p>One sentence.</p>\n<p>Two.</p>' },
  {
    name: '"- " opens an item, and lines indented under it continue it',
    lines: ['Intro:', '- first item', '  continued', '- second'],
    want: '<p>Intro:</p>\n<ul><li>first item continued</li><li>second</li></ul>',
  },
  {
    name: '"1. " opens a numbered list, continued under each item (the rules of server-session.ts)',
    lines: ['The rules:', '1. An empty session is *destroyed*:', '   replaying it finds nothing.', '2. An unchanged one', '   is not written.'],
    want: '<p>The rules:</p>\n<ol><li>An empty session is <em>destroyed</em>: replaying it finds nothing.</li><li>An unchanged one is not written.</li></ol>',
  },
  { name: 'a list that starts past 1 keeps its number (a step in a function)', lines: ['3. Encode, sign.'], want: '<ol start="3"><li>Encode, sign.</li></ol>' },
  { name: 'a number out of sequence is shown as written', lines: ['1. one', '3. three'], want: '<ol><li>one</li><li value="3">three</li></ol>' },
  {
    name: 'only "1." interrupts a paragraph: a sentence wrapped before "3." stays a sentence',
    lines: ['It takes', '3. seconds at most.'],
    want: '<p>It takes 3. seconds at most.</p>',
  },
  {
    name: 'an item indented under another is nested in it',
    lines: ['- outer', '  - inner one', '    continued', '  - inner two', '- next'],
    want: '<ul><li>outer\n<ul><li>inner one continued</li><li>inner two</li></ul></li><li>next</li></ul>',
  },
  {
    name: 'an unindented line after a list ends it (no lazy continuation)',
    lines: ['- item', 'A new paragraph.'],
    want: '<ul><li>item</li></ul>\n<p>A new paragraph.</p>',
  },
  { name: 'a blank line ends a list', lines: ['- a', '', '- b'], want: '<ul><li>a</li></ul>\n<ul><li>b</li></ul>' },
  {
    name: 'an indented numbered list is a list, not a preformatted block (the steps of app.ts)',
    lines: ['In order:', '  1. open;', '  2. dispatch.'],
    want: '<p>In order:</p>\n<ol><li>open;</li><li>dispatch.</li></ol>',
  },
  {
    name: 'an indented line after a paragraph is preformatted, less its indentation (the cookie of cookie-session.ts)',
    lines: ['The value:', '  base64url(JSON) "." timestamp', 'The flag travels inside.'],
    want: '<p>The value:</p>\n<pre>base64url(JSON) &quot;.&quot; timestamp</pre>\n<p>The flag travels inside.</p>',
  },
  {
    name: 'a preformatted block keeps its inner alignment, and its stars',
    lines: ['', '    +OK\\r\\n    simple string', '    *2\\r\\n      array'],
    want: '<pre>+OK\\r\\n    simple string\n*2\\r\\n      array</pre>',
  },
  {
    name: 'two grammar rules in a row, and the lines indented after them, are preformatted',
    lines: ['token = 1*tchar', 'tchar = "!" / "#"', '      / DIGIT', 'Prose again.'],
    want: '<pre>token = 1*tchar\ntchar = &quot;!&quot; / &quot;#&quot;\n      / DIGIT</pre>\n<p>Prose again.</p>',
  },
  {
    name: 'a table drawn with "|" is a table: the first row its header, the underline dropped (the variables of config.ts)',
    lines: ['Variables:', '', '| variable | default |', '|----------|---------|', '| PORT     | 5000    |', '| HOST     | `127.0.0.1` *here* |'],
    want: '<p>Variables:</p>\n<table><thead><tr><th>variable</th><th>default</th></tr></thead><tbody><tr><td>PORT</td><td>5000</td></tr><tr><td>HOST</td><td><code>127.0.0.1</code> <em>here</em></td></tr></tbody></table>',
  },
  { name: 'lines between "|" without an underline are a paragraph', lines: ['| a |', '| b |'], want: '<p>| a | | b |</p>' },
  {
    name: 'one grammar rule that runs on into a sentence is a paragraph',
    lines: ['path-value = <any CHAR except ";">. We also', 'refuse a path without "/".'],
    want: '<p>path-value = &lt;any CHAR except &quot;;&quot;&gt;. We also refuse a path without &quot;/&quot;.</p>',
  },
];
for (const { name, lines, want } of blockCases) {
  test(`renderAnnotatedSource() prose: ${name}`, () => {
    assert.equal(proseOf(lines), want);
  });
}

const inlineCases: readonly { name: string; text: string; want: string }[] = [
  { name: '*word* is emphasis', text: 'the user can *read* the data', want: 'the user can <em>read</em> the data' },
  { name: '**words** are strong', text: '**Atomic replacement.** Writing', want: '<strong>Atomic replacement.</strong> Writing' },
  { name: 'emphasis may hold several words and a code span', text: 'and *only `x` changed* (and)', want: 'and <em>only <code>x</code> changed</em> (and)' },
  { name: 'emphasis may follow punctuation inside a word', text: 'least-recently-*used* order', want: 'least-recently-<em>used</em> order' },
  { name: 'a star inside a word is a star (ABNF repetition)', text: 'token = 1*tchar', want: 'token = 1*tchar' },
  { name: 'stars that do not hug a word are stars', text: 'cookie-pair *( ";" SP cookie-pair ) and a * b * c', want: 'cookie-pair *( &quot;;&quot; SP cookie-pair ) and a * b * c' },
  { name: 'stars with space on their inside are stars', text: '*cookie-octet / ( DQUOTE *cookie-octet DQUOTE )', want: '*cookie-octet / ( DQUOTE *cookie-octet DQUOTE )' },
  { name: 'nothing in a code span is markup', text: '`*1\\r\\n` and `a*b*c`', want: '<code>*1\\r\\n</code> and <code>a*b*c</code>' },
  { name: 'text is escaped before any markup is added', text: '*<b>* & `<i>`', want: '<em>&lt;b&gt;</em> &amp; <code>&lt;i&gt;</code>' },
  { name: 'a NUL in the text cannot stand in for a code span', text: '`a` \u00000\u0000 \u00007\u0000', want: '<code>a</code> 0 7' },
];
for (const { name, text, want } of inlineCases) {
  test(`inline(): ${name}`, () => {
    assert.equal(inline(text), want);
  });
}

const MODULES = ['index.ts', 'http/cookie.ts', 'session/store.ts', 'session/cookie-session.ts', 'session/stores/memory.ts', 'signing/signer.ts'];
const linkCases: readonly { name: string; from: string; file: string; want: string | null }[] = [
  { name: 'a name beside the module', from: 'session/cookie-session.ts', file: 'store.ts', want: 'session/store.ts' },
  { name: 'a name up a folder', from: 'session/cookie-session.ts', file: '../http/cookie.ts', want: 'http/cookie.ts' },
  { name: 'a name down a folder', from: 'session/cookie-session.ts', file: 'stores/memory.ts', want: 'session/stores/memory.ts' },
  { name: 'a name from src/, as the README writes them', from: 'signing/signer.ts', file: 'session/stores/memory.ts', want: 'session/stores/memory.ts' },
  { name: 'an import\'s .js names its .ts', from: 'session/cookie-session.ts', file: '../index.js', want: 'index.ts' },
  { name: 'a name that is no module', from: 'session/cookie-session.ts', file: 'flask-codec.ts', want: null },
  { name: 'a test file', from: 'session/cookie-session.ts', file: 'test/session/cookie-session.test.ts', want: null },
  { name: 'a name that climbs out of src/', from: 'session/store.ts', file: '../../package.ts', want: null },
  { name: 'the module itself', from: 'session/store.ts', file: 'store.ts', want: null },
];
for (const { name, from, file, want } of linkCases) {
  test(`moduleLinker(): ${name} (${file} in ${from})`, () => {
    assert.equal(moduleLinker(from, MODULES)(file), want);
  });
}

test('renderAnnotatedSource() links file names in the prose to their pages, and only to modules that exist', () => {
  const html = proseOf(['Not here: signing (../signing/signer.ts), the store (`store.ts`).', 'Read next: flask-codec.ts, or see', 'https://example.com/store.js and test/x.ts.'], 'session/cookie-session.ts', MODULES);
  assert.equal(
    html,
    '<p>Not here: signing (<a href="/source/signing/signer.ts">../signing/signer.ts</a>), the store (<a href="/source/session/store.ts"><code>store.ts</code></a>). ' +
      'Read next: flask-codec.ts, or see https://example.com/store.js and test/x.ts.</p>',
  );
});

test('annotate() calls a line prose only where TypeScript itself sees nothing but comments (every src/ module)', async () => {
  // The classifier reads lines, not tokens; TypeScript's own scanner (a devDependency) is the
  // judge: no line shown as prose may hold a token of code, or the page would hide code.
  const ts = (await import('typescript')).default;
  const { SourceLibrary } = await import('../../src/demo/source.js');
  const library = SourceLibrary.load()!;
  for (const module of library.modules) {
    const text = library.text(module)!;
    const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
    const file = ts.createSourceFile(module, text, ts.ScriptTarget.Latest);
    const codeLines = new Set<number>();
    const trivia = new Set([ts.SyntaxKind.SingleLineCommentTrivia, ts.SyntaxKind.MultiLineCommentTrivia, ts.SyntaxKind.WhitespaceTrivia, ts.SyntaxKind.NewLineTrivia]);
    // Template literals and regular expressions need the parser's context: a `}` closes a template
    // substitution only when one is open, and a `/` starts a regular expression only where a value
    // is expected (not after a name, a literal or a closing bracket).
    const braces: ('brace' | 'template')[] = [];
    const valueEnds = new Set([ts.SyntaxKind.Identifier, ts.SyntaxKind.NumericLiteral, ts.SyntaxKind.StringLiteral, ts.SyntaxKind.CloseParenToken, ts.SyntaxKind.CloseBracketToken, ts.SyntaxKind.CloseBraceToken, ts.SyntaxKind.ThisKeyword, ts.SyntaxKind.NoSubstitutionTemplateLiteral, ts.SyntaxKind.TemplateTail]);
    let previous = ts.SyntaxKind.Unknown;
    for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
      if (kind === ts.SyntaxKind.OpenBraceToken) braces.push('brace');
      if (kind === ts.SyntaxKind.TemplateHead) braces.push('template');
      if (kind === ts.SyntaxKind.CloseBraceToken && braces.pop() === 'template') {
        kind = scanner.reScanTemplateToken(false);
        if (kind === ts.SyntaxKind.TemplateMiddle) braces.push('template');
      }
      if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && !valueEnds.has(previous)) kind = scanner.reScanSlashToken();
      if (trivia.has(kind)) continue;
      previous = kind;
      const start = file.getLineAndCharacterOfPosition(scanner.getTokenStart()).line;
      const end = file.getLineAndCharacterOfPosition(scanner.getTokenEnd()).line;
      for (let line = start; line <= end; line += 1) codeLines.add(line + 1);
    }
    for (const section of annotate(text)) {
      for (const { number } of section.comment) assert.ok(!codeLines.has(number), `${module}:${number} holds code but is shown as prose`);
    }
  }
});
