// Builds the daemon as the image runs it: src/main.ts and everything it imports bundled by esbuild into dist/, ESM,
// tree-shaken, one chunk per lazily imported client (undici, pg, ioredis, ws, dockerode, nodemailer, the S3 SDK) so a
// config that does not use one never loads it. Loading a few large files instead of ~1,400 small ones takes less CPU
// at start-up and a little less memory (docs/deploy.md "Memory and CPU" has the figures).
//
//   npx tsx scripts/bundle.ts [--outdir dist] [--minify]      (npm run build: minified, into dist/)
//
// --minify shortens local names and drops blanks (half the source V8 keeps in memory) but keeps function and class
// names (keepNames), so a stack trace in the log still says which function; its line:column maps back to src/
// through the .map file beside it.
//
// Left outside the bundle, loaded from node_modules at run time:
//   better-sqlite3   a native module that finds its .node binary relative to its own package folder;
//   pino-pretty      required only when stdout is a terminal (src/log.ts);
//   *.node           optional native bindings (ssh2, cpu-features) their packages try and fall back from;
//   dockerode's build sessions (gRPC, protobuf.js) and docker-modem's ssh:// transport (ssh2): centinela only reads
//                    the Engine over unix:// and tcp:// (src/probes/docker-api.ts), yet both packages require these at
//                    load: ~2 MB of source, and ssh2's poly1305 reserves a 16 MiB asm.js heap. Their `require` is
//                    deferred to first use and resolved from node_modules, so nothing is lost, only loaded later.
// Every output file must be ASCII: node keeps each module's source in memory, at one byte a character only when the
// file is ASCII (it decodes a file past 1 MB outside the heap, and any other character makes that UTF-16, two bytes a
// character: main.js's 1.9 MB of source took 3.7 MiB). esbuild escapes other characters in strings and regular
// expressions, but not in a tagged template, whose raw text is observable: write `\u2014` there, not `—`. Packages'
// license comments go to a .LEGAL.txt file beside each output file. The build fails naming the file and the place.
// Source maps go beside each file (dist/*.js.map, without the sources themselves): a stack trace's line:column maps back
// to src/ with them. `node --enable-source-maps` does that as it prints, but holds every map in memory (about 110 MiB
// more RSS measured here), so run with it only to debug.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';

const { values } = parseArgs({
  options: { outdir: { type: 'string', default: 'dist' }, minify: { type: 'boolean', default: false } },
});

/** `require(local)` in `file` (a path inside node_modules) becomes a call that requires `pkgPath` at first use. */
const deferred = [
  {
    file: /node_modules\/dockerode\/lib\/docker\.js$/,
    local: "require('./session')",
    pkgPath: 'dockerode/lib/session.js',
  },
  {
    file: /node_modules\/docker-modem\/lib\/modem\.js$/,
    local: "require('./ssh')",
    pkgPath: 'docker-modem/lib/ssh.js',
  },
];

const deferRequires: Plugin = {
  name: 'defer-requires',
  setup(b) {
    for (const { file, local, pkgPath } of deferred) {
      b.onLoad({ filter: file }, async ({ path }) => {
        const source = await readFile(path, 'utf8');
        if (!source.includes(local)) throw new Error(`${path} no longer has ${local}: update scripts/bundle.ts`);
        // `require` here is the module-level one the banner below defines: Node's, resolving from dist/.
        const lazy = `function () { return require(${JSON.stringify(pkgPath)}).apply(this, arguments); }`;
        return { contents: source.replace(local, lazy), loader: 'js' };
      });
    }
  },
};

/**
 * `await import('undici')` of a CommonJS package gives, under Node, its exports by name (`{ Agent, request }`) beside
 * `default`; esbuild's chunk for it exports only `default`, so `Agent` would be undefined in the bundle. A dynamic
 * import of a package is routed through a small ES module that requires it (bundled, in the same lazy chunk) and
 * exports `default` and each name Node would give, listed here at build time by importing the package as Node does.
 */
const namedDynamicImports: Plugin = {
  name: 'named-dynamic-imports',
  setup(b) {
    const wrapped = 'named-dynamic-import';
    b.onResolve({ filter: /^[@a-z]/ }, (args) =>
      args.kind === 'dynamic-import' && args.namespace === 'file'
        ? { path: args.path, namespace: wrapped, pluginData: { resolveDir: args.resolveDir } }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: wrapped }, async ({ path, pluginData }) => {
      const names = Object.keys(await import(createRequire(`${pluginData.resolveDir}/`).resolve(path))).filter(
        (name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name),
      );
      const pkg = JSON.stringify(path);
      const contents = [
        `const m = require(${pkg});`,
        'export default m;',
        ...names.map((name) => `export const ${name} = m.${name};`),
      ].join('\n');
      return { contents, loader: 'js', resolveDir: pluginData.resolveDir };
    });
  },
};

rmSync(values.outdir, { recursive: true, force: true });
await build({
  // The pattern thread (src/probes/pattern-match.ts) loads dist/pattern-worker.js, beside the chunk that starts it.
  entryPoints: { main: 'src/main.ts', 'pattern-worker': 'src/probes/pattern-worker.ts' },
  outdir: values.outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  minify: values.minify,
  keepNames: values.minify,
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'linked',
  external: ['better-sqlite3', 'pino-pretty', '*.node', 'dockerode/lib/session.js', 'docker-modem/lib/ssh.js'],
  // The CommonJS packages in the bundle call require() for Node's built-ins and for the externals above; an ES
  // module has no require of its own, so each output file gets Node's, resolving from where the file lies.
  banner: {
    js: "import { createRequire as __centinelaRequire } from 'node:module';\nconst require = __centinelaRequire(import.meta.url);",
  },
  plugins: [deferRequires, namedDynamicImports],
  logLevel: 'warning',
});
// (A build that is not minified keeps the packages' comments; it is not what ships.)
for (const file of values.minify ? readdirSync(values.outdir).filter((f) => f.endsWith('.js')) : []) {
  const source = readFileSync(join(values.outdir, file), 'utf8');
  const at = source.search(/[\u0080-\uffff]/);
  if (at >= 0) {
    const around = source.slice(Math.max(0, at - 60), at + 20);
    throw new Error(
      `${file} holds ${JSON.stringify(source[at])} (not ASCII), so node would keep all of it at two bytes a character: ` +
        `…${around}…; write it as an escape (\\u${source.codePointAt(at)?.toString(16).padStart(4, '0')}) in src/`,
    );
  }
}
