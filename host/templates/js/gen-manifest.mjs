// Writes manifest.js from plugin.toml, so the tools are declared once (in the manifest).
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'smol-toml';

const manifest = parse(readFileSync('plugin.toml', 'utf8'));
writeFileSync(
  'manifest.js',
  `// Generated from plugin.toml by gen-manifest.mjs: do not edit.\nexport const TOOLS = ${JSON.stringify(manifest.tools ?? [], null, 2)};\n`,
);
