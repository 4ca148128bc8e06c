// Run as `node count-modules.mjs <module URL>`: imports the module and prints, as JSON, the files it
// loaded — ES modules through a loader hook, CommonJS ones from the require cache — by package.
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const urls = new Set();
port1.on('message', (url) => urls.add(url));
register(new URL('./module-hooks.mjs', import.meta.url), { data: { port: port2 }, transferList: [port2] });
await import(process.argv[2]);
// The hook thread posts asynchronously: let its last messages arrive.
await new Promise((resolve) => setTimeout(resolve, 200));
port1.close();
for (const file of Object.keys(createRequire(import.meta.url).cache)) urls.add(`file://${file}`);
const packages = {};
let files = 0;
for (const url of urls) {
  if (!url.startsWith('file:') || url === import.meta.url) continue;
  files++;
  const name = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? 'looplet';
  packages[name] = (packages[name] ?? 0) + 1;
}
console.log(JSON.stringify({ files, packages }));
