// npm runs `prepare` after `npm install` in a clone, and when an app installs this package from a
// folder (`npm install ../scratchpad`). In a clone it builds dist/. An installed folder has no
// devDependencies, so no TypeScript: then dist/ must already be there (run `npm install` in the
// clone first), and this says so instead of failing with "tsc: not found". A tarball made by
// `npm pack` carries dist/ and runs no build at all. Plain JavaScript: it runs before anything is compiled.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

let typescript = null;
try {
  typescript = createRequire(import.meta.url).resolve('typescript/package.json');
} catch {
  // Not installed: an installed copy of the package, not a clone.
}
if (typescript !== null) {
  execSync('npm run build', { stdio: 'inherit' });
} else if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
  console.error('scratchpad: dist/ is not built, and TypeScript is not installed here to build it.');
  console.error('Run `npm install` inside the scratchpad clone first (it builds dist/), or install the tarball `npm pack` makes there.');
  process.exit(1);
}
