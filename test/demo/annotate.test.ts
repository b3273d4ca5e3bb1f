import assert from 'node:assert/strict';
import { test } from 'node:test';
import { annotate, proseLines, renderAnnotatedSource } from '../../src/demo/annotate.js';

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
  assert.match(html, /<span class="line" id="L4"><a href="#L4">4<\/a>const a = 1;<\/span>/);
  assert.match(html, /<a class="lines" href="#L1">lines 1&ndash;3<\/a>/);
  assert.match(html, /<a class="lines" href="#L6">line 6<\/a>/);
});

test('renderAnnotatedSource() turns "- " lines into a list and indented examples into <pre>', () => {
  const html = renderAnnotatedSource('x.ts', '/**\n * Intro.\n * - first item\n *   continued\n * - second\n *\n *     example()\n */\nx();');
  assert.match(html, /<p>Intro\.<\/p>\n<ul><li>first item continued<\/li><li>second<\/li><\/ul>/);
  assert.match(html, /<pre>    example\(\)<\/pre>/);
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
